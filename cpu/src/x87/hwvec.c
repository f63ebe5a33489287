#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
typedef struct { uint64_t sig; uint16_t se; } __attribute__((packed)) f80;
static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void){ rs ^= rs<<13; rs ^= rs>>7; rs ^= rs<<17; return rs; }
static f80 special(int k){
  f80 v; switch(k){
  case 0: v.se=0; v.sig=0; break; // +0
  case 1: v.se=0x8000; v.sig=0; break;
  case 2: v.se=0x7fff; v.sig=1ull<<63; break; // inf
  case 3: v.se=0xffff; v.sig=1ull<<63; break;
  case 4: v.se=0x7fff; v.sig=0xC000000000000000ull|(rnd()>>3); break; // qnan
  case 5: v.se=0x7fff; v.sig=0x8000000000000000ull|((rnd()>>3)|1); break; // snan
  case 6: v.se=rnd()&0x8000; v.sig=rnd()>>1; if(!v.sig) v.sig=1; break; // denormal
  case 7: v.se=(rnd()&0x8000)|0x7ffe; v.sig=rnd()|(1ull<<63); break; // huge
  case 8: v.se=(rnd()&0x8000)|1; v.sig=rnd()|(1ull<<63); break; // tiny normal
  case 9: v.se=(rnd()&0x8000)|0x3fff; v.sig=1ull<<63; break; // +-1
  default: v.se=(rnd()&0x8000)|(0x3fff + (int)(rnd()%128) - 64); v.sig = rnd()|(1ull<<63); break;
  }
  return v;
}
static f80 gen(void){
  int r = rnd()%100;
  f80 v;
  if (r < 15) return special(rnd()%10);
  if (getenv("WEIRD") && r < 22) { // unsupported encodings and pseudo-denormals
    int k = rnd()%4;
    if (k==0) { v.se=(rnd()&0x8000); v.sig=rnd()|(1ull<<63); return v; } // pseudo-denormal
    if (k==1) { v.se=(rnd()&0x8000)|(1+rnd()%0x7ffe); v.sig=rnd()>>1; return v; } // unnormal
    if (k==2) { v.se=(rnd()&0x8000)|0x7fff; v.sig=0; return v; } // pseudo-inf
    v.se=(rnd()&0x8000)|0x7fff; v.sig=(rnd()>>1)|1; return v; // pseudo-nan
  }
  if (r < 25) { v.se=(rnd()&0x8000)|(rnd()&0x7fff); v.sig=rnd()|(1ull<<63); if((v.se&0x7fff)==0x7fff) v.se--; return v; }
  if (r < 35) { // short significand (exact-ish)
    v.se=(rnd()&0x8000)|(0x3fff + (int)(rnd()%40) - 20); v.sig = (rnd()|(1ull<<63)) & ~((1ull<<(rnd()%60))-1); return v; }
  if (r < 40) { // denormal-range products
    v.se=(rnd()&0x8000)|(rnd()%64); v.sig=rnd()|(1ull<<63); if(!(v.se&0x7fff)) v.sig>>=1; return v; }
  v.se=(rnd()&0x8000)|(0x3fff + (int)(rnd()%200) - 100); v.sig=rnd()|(1ull<<63);
  return v;
}
static void pr(f80 v){ printf("%04x%016llx", v.se, (unsigned long long)v.sig); }
#define ALLMASK 0x3f
int main(int argc, char**argv){
  int n = argc>1? atoi(argv[1]) : 1000;
  const char* ops[] = {"add","sub","mul","div","sqrt","rnd","st32","st64","ist16","ist32","ist64","prem","prem1","scale","com","ucom","ld32","ld64","bst","xtract","subr","divr"};
  int nops = sizeof(ops)/sizeof(ops[0]);
  for (int it=0; it<n; it++){
    int op = rnd()%nops;
    uint16_t masks = getenv("UNMASK") ? (uint16_t)(rnd() & 0x3f) : ALLMASK;
    uint16_t cw = masks | 0x40 | ((rnd()%4)<<10) | ((uint16_t[]){0,2,3,3}[rnd()%4]<<8);
    f80 a = gen(), b = gen();
    if (rnd()%4==0 && (op<4)) { b = a; b.sig ^= rnd()>>(rnd()%64); if (rnd()%2) b.se ^= 0x8000; }
    f80 r = {0,0}; uint16_t sw=0; uint64_t m=0; uint16_t env[14];
    f80 r2 = {0,0};
    switch(op){
    case 0: __asm__ volatile("fninit; fldcw %3; fldt %2; fldt %1; faddp; fstpt %0; fnstsw %4" : "=m"(r) : "m"(a), "m"(b), "m"(cw), "m"(sw)); break;
    default: break;
    }
    (void)env; (void)m; (void)r2;
    // generic template via macros below
#define BIN(INSN) __asm__ volatile("fninit; fldcw %[cw]; fldt %[b]; fldt %[a]; " INSN "; fnstsw %[sw]; fstpt %[r]; fstp %%st(0)" : [r]"=m"(r), [sw]"=m"(sw) : [a]"m"(a), [b]"m"(b), [cw]"m"(cw))
#define UN(INSN) __asm__ volatile("fninit; fldcw %[cw]; fldt %[a]; " INSN "; fnstsw %[sw]; fstpt %[r]" : [r]"=m"(r), [sw]"=m"(sw) : [a]"m"(a), [cw]"m"(cw))
#define STM(INSN, W) __asm__ volatile("fninit; fldcw %[cw]; fldt %[a]; " INSN " %[m]; fnstsw %[sw]; fstp %%st(0)" : [m]"=m"(*(W*)&m), [sw]"=m"(sw) : [a]"m"(a), [cw]"m"(cw))
    switch(op){
    case 0: BIN("fadd %%st(1), %%st"); break;
    case 1: BIN("fsub %%st(1), %%st"); break;
    case 2: BIN("fmul %%st(1), %%st"); break;
    case 3: BIN("fdiv %%st(1), %%st"); break;
    case 4: UN("fsqrt"); break;
    case 5: UN("frndint"); break;
    case 6: STM("fsts", uint32_t); break;
    case 7: STM("fstl", uint64_t); break;
    case 8: STM("fists", uint16_t); break;
    case 9: STM("fistl", uint32_t); break;
    case 10: STM("fistpll", uint64_t); __asm__ volatile("fld1"); break;
    case 11: BIN("fprem"); break;
    case 12: BIN("fprem1"); break;
    case 13: { f80 bb=b; if (rnd()%2){ bb.se = (bb.se&0x8000)|(0x3fff+rnd()%16); } b=bb; BIN("fscale"); break; }
    case 14: BIN("fcom %%st(1)"); break;
    case 15: BIN("fucom %%st(1)"); break;
    case 16: { uint32_t v = rnd(); if(rnd()%3==0) v = (v&0x807fffff) | ((rnd()%2)?0x7f800000:0); m=v;
      __asm__ volatile("fninit; fldcw %[cw]; flds %[v]; fnstsw %[sw]; fstpt %[r]" : [r]"=m"(r), [sw]"=m"(sw) : [v]"m"(v), [cw]"m"(cw)); break; }
    case 17: { uint64_t v = rnd(); if(rnd()%3==0) v = (v&0x800fffffffffffffull) | ((rnd()%2)?0x7ff0000000000000ull:0); m=v;
      __asm__ volatile("fninit; fldcw %[cw]; fldl %[v]; fnstsw %[sw]; fstpt %[r]" : [r]"=m"(r), [sw]"=m"(sw) : [v]"m"(v), [cw]"m"(cw)); break; }
    case 18: { unsigned char bcd[10]; __asm__ volatile("fninit; fldcw %[cw]; fldt %[a]; fbstp %[m]; fnstsw %[sw]" : [m]"=m"(bcd), [sw]"=m"(sw) : [a]"m"(a), [cw]"m"(cw));
      memcpy(&r, bcd, 10); break; }
    case 19: __asm__ volatile("fninit; fldcw %[cw]; fldt %[a]; fxtract; fnstsw %[sw]; fstpt %[r]; fstpt %[r2]" : [r]"=m"(r), [r2]"=m"(r2), [sw]"=m"(sw) : [a]"m"(a), [cw]"m"(cw)); break;
    case 20: BIN("fsubr %%st(1), %%st"); break;
    case 21: BIN("fdivr %%st(1), %%st"); break;
    }
    printf("%s %04x ", ops[op], cw); pr(a); printf(" "); 
    if (op==16||op==17) printf("%016llx", (unsigned long long)m); else pr(b);
    printf(" -> ");
    if (op>=6 && op<=10) printf("%016llx", (unsigned long long)m); else pr(r);
    if (op==19) { printf(" "); pr(r2);} 
    printf(" %04x\n", sw);
  }
  return 0;
}
