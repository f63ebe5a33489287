/*
 * x87_diff_host.c - replays the operations of an x87_diff output (QEMU's
 * x87_diff.expected, or an oxbox run) on the host's own x87 and prints them
 * in the same format, so that a real FPU can be compared with both.  A
 * diagnostic for docs/x87-differences.md; no test depends on it.
 *
 *   cc -O1 -masm=intel -o /tmp/x87_diff_host x87_diff_host.c   (x86-64 host)
 *   /tmp/x87_diff_host < x87_diff.expected > /tmp/host.txt
 *   diff x87_diff.expected /tmp/host.txt
 *
 * Each line's inputs are taken from the file, so the ROM's generator is not
 * needed.  The host is whatever CPU runs it (its vendor's departures from
 * the SDM show up too: see docs/x87-differences.md).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct st {
    uint8_t in0[16], in1[16], outm[16], r0[16], r1[16]; /* 0 16 32 48 64 */
    uint16_t cw, sw;                                    /* 80 82 */
    uint32_t depth;                                     /* 84 */
};
static struct st S;

#define PRE "fninit\n fldcw WORD PTR [rsi+80]\n"
#define SW "fnstsw WORD PTR [rsi+82]\n"
#define TAIL                                                                   \
    "fnstsw ax\n shr eax, 11\n neg eax\n and eax, 7\n"                         \
    "mov DWORD PTR [rsi+84], eax\n cmp eax, 1\n jb 1f\n"                       \
    "fstp TBYTE PTR [rsi+48]\n cmp eax, 2\n jb 1f\n"                           \
    "fstp TBYTE PTR [rsi+64]\n 1: fninit\n"
#define RUN(body)                                                              \
    asm volatile(PRE body TAIL : : "S"(&S)                                     \
                 : "rax", "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)",  \
                   "st(5)", "st(6)", "st(7)")
#define LD_AB "fld TBYTE PTR [rsi+16]\n fld TBYTE PTR [rsi]\n"
#define LD_A "fld TBYTE PTR [rsi]\n"
#define AB(i) RUN(LD_AB i "\n" SW "fstp st(1)\n")
#define AB2(i) RUN(LD_AB i "\n" SW)
#define A(i) RUN(LD_A i "\n" SW)
#define CMP(i) RUN(LD_AB i "\n" SW "fninit\n")
#define STO(i) RUN(LD_A i "\n" SW "fninit\n")
#define LD(i) RUN(i "\n" SW)

struct op {
    const char *name;
    int outm;
};
static const struct op ops[] = {
    {"fadd", 0},    {"fsub", 0},    {"fsubr", 0},   {"fmul", 0},    {"fdiv", 0},
    {"fdivr", 0},   {"fadd64", 0},  {"fmul64", 0},  {"fdiv64", 0},  {"fsub32", 0},
    {"fmul32", 0},  {"fdivr32", 0}, {"fsqrt", 0},   {"fprem", 0},   {"fprem1", 0},
    {"frndint", 0}, {"fscale", 0},  {"fxtract", 0}, {"fcom", 0},    {"fucom", 0},
    {"fcom64", 0},  {"ftst", 0},    {"fxam", 0},    {"fist16", 2},  {"fistp16", 2},
    {"fist32", 4},  {"fistp32", 4}, {"fistp64", 8}, {"fbstp", 10},  {"fld32", 0},
    {"fld64", 0},   {"fld80", 0},   {"fst32", 4},   {"fstp32", 4},  {"fst64", 8},
    {"fstp64", 8},  {"fild16", 0},  {"fild32", 0},  {"fild64", 0},  {"fsin", 0},
    {"fcos", 0},    {"fsincos", 0}, {"fptan", 0},   {"fpatan", 0},  {"f2xm1", 0},
    {"fyl2x", 0},   {"fyl2xp1", 0}, {"fldpi", 0},   {"fldl2e", 0},
};

static int run(int k)
{
    switch (k) {
    case 0: AB("fadd st, st(1)"); break;
    case 1: AB("fsub st, st(1)"); break;
    case 2: AB("fsubr st, st(1)"); break;
    case 3: AB("fmul st, st(1)"); break;
    case 4: AB("fdiv st, st(1)"); break;
    case 5: AB("fdivr st, st(1)"); break;
    case 6: A("fadd QWORD PTR [rsi+16]"); break;
    case 7: A("fmul QWORD PTR [rsi+16]"); break;
    case 8: A("fdiv QWORD PTR [rsi+16]"); break;
    case 9: A("fsub DWORD PTR [rsi+16]"); break;
    case 10: A("fmul DWORD PTR [rsi+16]"); break;
    case 11: A("fdivr DWORD PTR [rsi+16]"); break;
    case 12: A("fsqrt"); break;
    case 13: AB("fprem"); break;
    case 14: AB("fprem1"); break;
    case 15: A("frndint"); break;
    case 16: AB("fscale"); break;
    case 17: A("fxtract"); break;
    case 18: CMP("fcom st(1)"); break;
    case 19: CMP("fucom st(1)"); break;
    case 20: STO("fcom QWORD PTR [rsi+16]"); break;
    case 21: STO("ftst"); break;
    case 22: STO("fxam"); break;
    case 23: STO("fist WORD PTR [rsi+32]"); break;
    case 24: STO("fistp WORD PTR [rsi+32]"); break;
    case 25: STO("fist DWORD PTR [rsi+32]"); break;
    case 26: STO("fistp DWORD PTR [rsi+32]"); break;
    case 27: STO("fistp QWORD PTR [rsi+32]"); break;
    case 28: STO("fbstp TBYTE PTR [rsi+32]"); break;
    case 29: LD("fld DWORD PTR [rsi]"); break;
    case 30: LD("fld QWORD PTR [rsi]"); break;
    case 31: LD("fld TBYTE PTR [rsi]"); break;
    case 32: STO("fst DWORD PTR [rsi+32]"); break;
    case 33: STO("fstp DWORD PTR [rsi+32]"); break;
    case 34: STO("fst QWORD PTR [rsi+32]"); break;
    case 35: STO("fstp QWORD PTR [rsi+32]"); break;
    case 36: LD("fild WORD PTR [rsi]"); break;
    case 37: LD("fild DWORD PTR [rsi]"); break;
    case 38: LD("fild QWORD PTR [rsi]"); break;
    case 39: A("fsin"); break;
    case 40: A("fcos"); break;
    case 41: A("fsincos"); break;
    case 42: A("fptan"); break;
    case 43: AB2("fpatan"); break;
    case 44: A("f2xm1"); break;
    case 45: AB2("fyl2x"); break;
    case 46: AB2("fyl2xp1"); break;
    case 47: LD("fldpi"); break;
    case 48: LD("fldl2e"); break;
    default: return -1;
    }
    return 0;
}

static void hexin(uint8_t *dst, const char *tok)
{
    size_t n = strlen(tok) / 2;
    memset(dst, 0, 16);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(tok + 2 * i, "%2x", &v);
        dst[n - 1 - i] = (uint8_t)v;
    }
}

static void hexout(const uint8_t *p, int n)
{
    putchar(' ');
    for (int i = n - 1; i >= 0; i--)
        printf("%02X", p[i]);
}

int main(void)
{
    char line[512];
    while (fgets(line, sizeof line, stdin)) {
        char *tok[8];
        int nt = 0;
        char copy[512];
        strcpy(copy, line);
        for (char *t = strtok(copy, " \n"); t && nt < 8; t = strtok(NULL, " \n"))
            tok[nt++] = t;
        int k = -1;
        if (nt >= 4 && strlen(tok[0]) == 4 && tok[2][0] == 'p')
            for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
                if (!strcmp(ops[i].name, tok[1]))
                    k = (int)i;
        if (k < 0) {
            fputs(line, stdout);
            continue;
        }
        int pc = tok[2][1] - '0', rc = tok[2][3] - '0';
        memset(&S, 0, sizeof S);
        S.cw = (uint16_t)(0x7F | pc << 8 | rc << 10);
        int ni = 0;
        const char *ins[2] = {0, 0};
        for (int i = 3; i < nt && strcmp(tok[i], ">"); i++)
            ins[ni++ < 2 ? ni - 1 : 1] = tok[i];
        if (ins[0])
            hexin(S.in0, ins[0]);
        if (ins[1])
            hexin(S.in1, ins[1]);
        run(k);
        printf("%s %s %s", tok[0], tok[1], tok[2]);
        for (int i = 0; i < ni; i++)
            printf(" %s", ins[i]);
        printf(" >");
        if (ops[k].outm)
            hexout(S.outm, ops[k].outm);
        if (S.depth >= 1)
            hexout(S.r0, 10);
        if (S.depth >= 2)
            hexout(S.r1, 10);
        printf(" sw=%04X\n", S.sw);
    }
    return 0;
}
