/* Random sequences of register-only x87 instructions, run from a JIT page on
   the host x87 with every exception masked. Output per case:
   cw flags v0..v3 | insn-bytes -> cw sw tw st0..st7 eflags */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
typedef struct { uint64_t sig; uint16_t se; } __attribute__((packed)) f80;
static uint64_t rs = 0x0123456789ABCDEFull;
static uint64_t rnd(void){ rs ^= rs<<13; rs ^= rs>>7; rs ^= rs<<17; return rs; }
static f80 gen(void){
  f80 v; int k = rnd()%12; uint16_t s = rnd()&0x8000;
  switch(k){
  case 0: v.se=s; v.sig=0; break;
  case 1: v.se=s|0x7fff; v.sig=1ull<<63; break;
  case 2: v.se=s|0x7fff; v.sig=0xC000000000000000ull|(rnd()>>3); break;
  case 3: v.se=s|0x7fff; v.sig=0x8000000000000000ull|((rnd()>>3)|1); break;
  case 4: v.se=s; v.sig=rnd()>>(1+rnd()%60); break;
  case 5: v.se=s|0x3fff; v.sig=1ull<<63; break;
  case 6: v.se=s|(1+rnd()%0x7ffe); v.sig=rnd()>>1; break;
  default: v.se=s|(0x3fff-8+rnd()%16); v.sig=rnd()|(1ull<<63); break;
  }
  return v;
}
/* register-only instructions: {byte0, base modrm, has i} */
static const unsigned char ops[][3] = {
  {0xD8,0xC0,1},{0xD8,0xC8,1},{0xD8,0xD0,1},{0xD8,0xD8,1},{0xD8,0xE0,1},{0xD8,0xE8,1},{0xD8,0xF0,1},{0xD8,0xF8,1},
  {0xDC,0xC0,1},{0xDC,0xC8,1},{0xDC,0xE0,1},{0xDC,0xE8,1},{0xDC,0xF0,1},{0xDC,0xF8,1},
  {0xDE,0xC0,1},{0xDE,0xC8,1},{0xDE,0xE0,1},{0xDE,0xE8,1},{0xDE,0xF0,1},{0xDE,0xF8,1},{0xDE,0xD9,0},
  {0xD9,0xC0,1},{0xD9,0xC8,1},{0xDD,0xD0,1},{0xDD,0xD8,1},{0xDD,0xE0,1},{0xDD,0xE8,1},{0xDA,0xE9,0},
  {0xDB,0xE8,1},{0xDB,0xF0,1},{0xDF,0xE8,1},{0xDF,0xF0,1},
  {0xDA,0xC0,1},{0xDA,0xC8,1},{0xDA,0xD0,1},{0xDA,0xD8,1},{0xDB,0xC0,1},{0xDB,0xC8,1},{0xDB,0xD0,1},{0xDB,0xD8,1},
  {0xD9,0xE0,0},{0xD9,0xE1,0},{0xD9,0xE4,0},{0xD9,0xE5,0},{0xD9,0xE8,0},{0xD9,0xEE,0},{0xD9,0xEB,0},{0xD9,0xE9,0},
  {0xD9,0xF6,0},{0xD9,0xF7,0},{0xDD,0xC0,1},{0xDF,0xC0,1},{0xD9,0xFA,0},{0xD9,0xFC,0},{0xD9,0xFD,0},{0xD9,0xF8,0},
  {0xD9,0xF5,0},{0xD9,0xF4,0},{0xD9,0xD0,0},{0xDB,0xE2,0},
  /* undocumented aliases */
  {0xD9,0xD8,1},{0xDC,0xD0,1},{0xDC,0xD8,1},{0xDD,0xC8,1},{0xDE,0xD0,1},{0xDF,0xC8,1},{0xDF,0xD0,1},{0xDF,0xD8,1},
};
static const unsigned char mops[][2] = {
  {0xD8,0},{0xD8,1},{0xD8,2},{0xD8,3},{0xD8,4},{0xD8,5},{0xD8,6},{0xD8,7},{0xD9,0},{0xD9,2},{0xD9,3},
  {0xDA,0},{0xDA,1},{0xDA,2},{0xDA,3},{0xDA,4},{0xDA,5},{0xDA,6},{0xDA,7},{0xDB,0},{0xDB,2},{0xDB,3},{0xDB,5},{0xDB,7},
  {0xDC,0},{0xDC,1},{0xDC,2},{0xDC,3},{0xDC,4},{0xDC,5},{0xDC,6},{0xDC,7},{0xDD,0},{0xDD,2},{0xDD,3},
  {0xDE,0},{0xDE,1},{0xDE,2},{0xDE,3},{0xDE,4},{0xDE,5},{0xDE,6},{0xDE,7},{0xDF,0},{0xDF,2},{0xDF,3},{0xDF,4},{0xDF,5},{0xDF,6},{0xDF,7},
};
int main(int argc, char**argv){
  int n = argc>1? atoi(argv[1]) : 1000;
  unsigned char *page = mmap(0, 4096, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  int nops = sizeof(ops)/sizeof(ops[0]);
  for (int it=0; it<n; it++){
    uint16_t cw = 0x7f | ((rnd()%4)<<10) | ((uint16_t[]){0,2,3,3}[rnd()%4]<<8);
    uint32_t fl = (rnd() & 0x8d5) | 2;
    int nv = rnd()%5; f80 v[4]; for(int j=0;j<4;j++) v[j]=gen();
    unsigned char seq[64]; int sl=0; int ni = 1 + rnd()%6;
    int nm = sizeof(mops)/sizeof(mops[0]);
    char toks[64][8]; int nt=0;
    for (int k=0;k<ni;k++){
      if (getenv("MEM") && rnd()%2) { int o=rnd()%nm; seq[sl++]=mops[o][0]; seq[sl++]=(mops[o][1]<<3)|6; sprintf(toks[nt++], "m%02x/%d", mops[o][0], mops[o][1]); }
      else { int o=rnd()%nops; seq[sl++]=ops[o][0]; seq[sl++]=ops[o][1] + (ops[o][2] ? rnd()%8 : 0); sprintf(toks[nt++], "%02x %02x", seq[sl-2], seq[sl-1]); }
    }
    unsigned char scratch[16]; for (int j=0;j<16;j++) scratch[j]=rnd();
    if (rnd()%3==0) { f80 v2 = gen(); memcpy(scratch, &v2, 10); }
    if (rnd()%4==0) { for (int j=0;j<9;j++) scratch[j] = (rnd()%10) | ((rnd()%10)<<4); scratch[9] &= 0x80; }
    unsigned char scratch0[16]; memcpy(scratch0, scratch, 16);
    unsigned char *p = page;
    for (int j=0;j<8;j++){ *p++=0xD9; *p++=0xEE; } /* 8 x fldz: every register +0 */
    *p++=0xDB; *p++=0xE3;                 /* fninit */
    *p++=0xD9; *p++=0x2A;                 /* fldcw [rdx] */
    for (int j=0;j<nv;j++){ *p++=0xDB; *p++=0x69; *p++=10*j; } /* fld tbyte [rcx+10j] */
    *p++=0x68; memcpy(p,&fl,4); p+=4; *p++=0x9D; /* push fl; popfq */
    memcpy(p, seq, sl); p+=sl;
    *p++=0xDD; *p++=0x37;                 /* fnsave [rdi] */
    *p++=0x9C; *p++=0x58;                 /* pushfq; pop rax */
    *p++=0x48; *p++=0x89; *p++=0x47; *p++=0x6C; /* mov [rdi+108], rax */
    *p++=0xDB; *p++=0xE3; *p++=0xC3;      /* fninit; ret */
    unsigned char sv[128]; uint64_t ef=0;
    __asm__ volatile("call *%[f]" : : [f]"r"(page), "D"(sv), "S"(scratch), "d"(&cw), "c"(v) : "rax","memory","cc");
    memcpy(&ef, sv+108, 8);
    printf("%04x %03x", cw, fl);
    for(int j=0;j<nv;j++) printf(" %04x%016llx", v[j].se, (unsigned long long)v[j].sig);
    printf(" ");
    for(int j=0;j<16;j++) printf("%02x", scratch0[j]);
    printf(" |");
    for(int j=0;j<nt;j++) printf(" %s", toks[j]);
    uint16_t scw, ssw, stw; memcpy(&scw,sv,2); memcpy(&ssw,sv+4,2); memcpy(&stw,sv+8,2);
    printf(" -> %04x %04x %04x", scw, ssw, stw);
    for(int j=0;j<8;j++){ f80 r; memcpy(&r, sv+28+10*j, 10); printf(" %04x%016llx", r.se, (unsigned long long)r.sig); }
    printf(" %03llx ", (unsigned long long)(ef & 0x8d5));
    for(int j=0;j<16;j++) printf("%02x", scratch[j]);
    printf("\n");
  }
}
