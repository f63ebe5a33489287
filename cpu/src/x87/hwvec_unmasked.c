/* Unmasked-exception vectors: the op runs with random masks, then FNSAVE
   (non-waiting) captures the state without trapping. Output:
   op cw a b -> m st0 st1 sw tw */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
typedef struct { uint64_t sig; uint16_t se; } __attribute__((packed)) f80;
static uint64_t rs = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void){ rs ^= rs<<13; rs ^= rs>>7; rs ^= rs<<17; return rs; }
static f80 gen(void){
  int r = rnd()%100; f80 v;
  if (r < 10) { v.se=(rnd()&0x8000)|0x7fff; v.sig=(rnd()%2)? (1ull<<63) : (0x8000000000000000ull|(rnd()>>2)|((rnd()%2)?(1ull<<62):0)); if(v.sig==(1ull<<63)&&rnd()%2) v.sig|=1; return v; }
  if (r < 20) { v.se=rnd()&0x8000; v.sig=(rnd()%3)? (rnd()>>(1+rnd()%63)) : 0; return v; }
  if (r < 30) { v.se=(rnd()&0x8000)|(0x7ffe - rnd()%8); v.sig=rnd()|(1ull<<63); return v; }
  if (r < 40) { v.se=(rnd()&0x8000)|(1 + rnd()%8); v.sig=rnd()|(1ull<<63); return v; }
  if (r < 45) { v.se=(rnd()&0x8000)|(1+rnd()%0x7ffe); v.sig=rnd()>>1; return v; } // unnormal
  v.se=(rnd()&0x8000)|(0x3fff + (int)(rnd()%64) - 32); v.sig=rnd()|(1ull<<63);
  return v;
}
static void pr(f80 v){ printf("%04x%016llx", v.se, (unsigned long long)v.sig); }
int main(int argc, char**argv){
  int n = argc>1? atoi(argv[1]) : 1000;
  const char* ops[] = {"add","mul","div","sqrt","st32","st64","ist32","scale","com","ld64","rnd","prem", "fst80"};
  int nops = sizeof(ops)/sizeof(ops[0]);
  for (int it=0; it<n; it++){
    int op = rnd()%nops;
    uint16_t cw = (rnd() & 0x3f) | 0x40 | ((rnd()%4)<<10) | ((uint16_t[]){0,2,3,3}[rnd()%4]<<8);
    f80 a = gen(), b = gen();
    unsigned char sv[108]; memset(sv, 0, sizeof sv);
    uint64_t m = 0x5555555555555555ull;
    if (op == 9) { m = rnd(); if (rnd()%2) m &= 0x800fffffffffffffull; else if (rnd()%2) m |= 0x7ff0000000000000ull; }
#define BIN(INSN) __asm__ volatile("fninit; fldcw %[cw]; fldt %[b]; fldt %[a]; " INSN "; fnsave %[sv]; fninit" : [sv]"=m"(sv) : [a]"m"(a), [b]"m"(b), [cw]"m"(cw))
#define UN(INSN) __asm__ volatile("fninit; fldcw %[cw]; fldt %[b]; fldt %[a]; " INSN "; fnsave %[sv]; fninit" : [sv]"=m"(sv) : [a]"m"(a), [b]"m"(b), [cw]"m"(cw))
#define STM(INSN, W) __asm__ volatile("fninit; fldcw %[cw]; fldt %[b]; fldt %[a]; " INSN " %[m]; fnsave %[sv]; fninit" : [sv]"=m"(sv), [m]"+m"(*(W*)&m) : [a]"m"(a), [b]"m"(b), [cw]"m"(cw))
    switch(op){
    case 0: BIN("fadd %%st(1), %%st"); break;
    case 1: BIN("fmul %%st(1), %%st"); break;
    case 2: BIN("fdiv %%st(1), %%st"); break;
    case 3: UN("fsqrt"); break;
    case 4: STM("fstps", uint32_t); break;
    case 5: STM("fstl", uint64_t); break;
    case 6: STM("fistl", uint32_t); break;
    case 7: { if (rnd()%2){ b.se = (b.se&0x8000)|(0x3fff+rnd()%16); } BIN("fscale"); break; }
    case 8: BIN("fcomp %%st(1)"); break;
    case 9: __asm__ volatile("fninit; fldcw %[cw]; fldt %[b]; fldt %[a]; fldl %[m]; fnsave %[sv]; fninit" : [sv]"=m"(sv) : [a]"m"(a), [b]"m"(b), [m]"m"(m), [cw]"m"(cw)); break;
    case 10: UN("frndint"); break;
    case 11: BIN("fprem"); break;
    case 12: { f80 t; memset(&t,0x55,sizeof t); __asm__ volatile("fninit; fldcw %[cw]; fldt %[b]; fldt %[a]; fstpt %[t]; fnsave %[sv]; fninit" : [sv]"=m"(sv), [t]"=m"(t) : [a]"m"(a), [b]"m"(b), [cw]"m"(cw)); memcpy(&m, &t, 8); break; }
    }
    f80 st0, st1; memcpy(&st0, sv+28, 10); memcpy(&st1, sv+38, 10);
    uint16_t sw, tw; memcpy(&sw, sv+4, 2); memcpy(&tw, sv+8, 2);
    printf("%s %04x ", ops[op], cw); pr(a); printf(" "); pr(b);
    printf(" -> %016llx ", (unsigned long long)m); pr(st0); printf(" "); pr(st1); printf(" %04x %04x\n", sw, tw);
  }
  return 0;
}
