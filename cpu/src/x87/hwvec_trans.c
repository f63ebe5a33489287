/* Transcendental special-case vectors: op cw a b -> st0 st1 sw (stack after op). */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
typedef struct { uint64_t sig; uint16_t se; } __attribute__((packed)) f80;
static uint64_t rs = 0x243F6A8885A308D3ull;
static uint64_t rnd(void){ rs ^= rs<<13; rs ^= rs>>7; rs ^= rs<<17; return rs; }
static f80 gen(void){
  f80 v; int k = rnd()%14; uint16_t s = rnd()&0x8000;
  switch(k){
  case 0: v.se=s; v.sig=0; break;
  case 1: v.se=s|0x7fff; v.sig=1ull<<63; break;
  case 2: v.se=s|0x7fff; v.sig=0xC000000000000000ull|(rnd()>>3); break;
  case 3: v.se=s|0x7fff; v.sig=0x8000000000000000ull|((rnd()>>3)|1); break;
  case 4: v.se=s; v.sig=rnd()>>(1+rnd()%60); break; // denormal
  case 5: v.se=s|0x3fff; v.sig=1ull<<63; break; // +-1
  case 6: v.se=s|(1+rnd()%0x7ffe); v.sig=rnd()>>1; break; // unnormal
  case 7: v.se=s|(0x3fff+62+rnd()%4); v.sig=rnd()|(1ull<<63); break; // around 2^63
  case 8: v.se=s|(0x3fff - (rnd()%3)); v.sig=rnd()|(1ull<<63); break; // ~0.25..2
  case 9: v.se=s|(0x3fff - 60 - rnd()%40); v.sig=rnd()|(1ull<<63); break; // tiny
  case 10: v.se=s|(0x7ffe - rnd()%4); v.sig=rnd()|(1ull<<63); break; // huge
  case 11: v.se=s|(1+rnd()%4); v.sig=rnd()|(1ull<<63); break; // smallest normals
  default: v.se=s|(0x3fff - 3 + rnd()%6); v.sig=rnd()|(1ull<<63); break;
  }
  return v;
}
static void pr(f80 v){ printf("%04x%016llx", v.se, (unsigned long long)v.sig); }
int main(int argc, char**argv){
  int n = argc>1? atoi(argv[1]) : 1000;
  const char* ops[] = {"sin","cos","sincos","ptan","patan","f2xm1","yl2x","yl2xp1","xtract","scale"};
  for (int it=0; it<n; it++){
    int op = rnd()%10;
    uint16_t cw = 0x7f | ((rnd()%4)<<10) | (3<<8);
    f80 a = gen(), b = gen();
    if (op==5 || op==7) { if (rnd()%2) { a.se = (a.se&0x8000)|(0x3fff - 1 - rnd()%4); a.sig |= 1ull<<63; } }
    unsigned char sv[108]; memset(sv,0,sizeof sv);
#define T(INSN) __asm__ volatile("fninit; fldcw %[cw]; fldt %[b]; fldt %[a]; " INSN "; fnsave %[sv]; fninit" : [sv]"=m"(sv) : [a]"m"(a), [b]"m"(b), [cw]"m"(cw))
    switch(op){
    case 0: T("fsin"); break; case 1: T("fcos"); break; case 2: T("fsincos"); break; case 3: T("fptan"); break;
    case 4: T("fpatan"); break; case 5: T("f2xm1"); break; case 6: T("fyl2x"); break; case 7: T("fyl2xp1"); break;
    case 8: T("fxtract"); break; case 9: T("fscale"); break;
    }
    f80 st0, st1; memcpy(&st0, sv+28, 10); memcpy(&st1, sv+38, 10);
    uint16_t sw; memcpy(&sw, sv+4, 2);
    printf("%s %04x ", ops[op], cw); pr(a); printf(" "); pr(b); printf(" -> "); pr(st0); printf(" "); pr(st1); printf(" %04x\n", sw);
  }
}
