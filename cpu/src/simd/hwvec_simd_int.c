/* Records MMX/SSE2 integer, shuffle and MMX-conversion results on the host
 * (x86-64) for simd_int_vectors.txt.
 * Build: gcc -O1 -o hwvec_simd_int hwvec_simd_int.c
 * Run: ./hwvec_simd_int N [SEED] > simd_int_vectors.txt
 *
 * Line: op mxcsr a b -> result mxcsr_after (same layout as sse_vectors.txt).
 * "x." ops run on xmm0, xmm1; "m." ops on mm0 = low qword of a, mm1 = low
 * qword of b, with the result mm0 (high qword printed as zero); ".ii"
 * suffixes are the imm8 in hex. cvt ops mixing MMX and XMM registers read
 * and write whichever register the instruction names (mm0/xmm0 destination,
 * mm1/xmm1 source).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct { uint64_t lo, hi; } __attribute__((aligned(16))) v128;

static uint64_t rs = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }

static uint64_t gen64(void) {
    static const uint8_t edge[] = {0x00, 0x01, 0x7F, 0x80, 0x81, 0xFE, 0xFF};
    switch (rnd() % 5) {
    case 0: {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++) v |= (uint64_t)edge[rnd() % 7] << (8 * i);
        return v;
    }
    case 1: return rnd() & 0x00FF00FF00FF00FFull;
    default: return rnd();
    }
}

/* Shift counts: small, near the lane widths, huge. */
static uint64_t gen_count(void) {
    switch (rnd() % 4) {
    case 0: return rnd() % 17;
    case 1: return rnd() % 70;
    case 2: return rnd();
    default: return 30 + rnd() % 5;
    }
}

#define X(name, insn)                                                                                      \
    static void name(v128 *a, v128 *b, uint32_t *m) {                                                     \
        __asm__ volatile("ldmxcsr (%2)\n movaps (%0),%%xmm0\n movaps (%1),%%xmm1\n " insn "\n"             \
                         " movaps %%xmm0,(%0)\n stmxcsr (%2)" ::"r"(a), "r"(b), "r"(m) : "xmm0", "xmm1", "rax", "memory"); \
    }
#define M(name, insn)                                                                                      \
    static void name(v128 *a, v128 *b, uint32_t *m) {                                                     \
        __asm__ volatile("ldmxcsr (%2)\n movq (%0),%%mm0\n movq (%1),%%mm1\n " insn "\n"                   \
                         " movq %%mm0,(%0)\n stmxcsr (%2)\n emms" ::"r"(a), "r"(b), "r"(m) : "mm0", "mm1", "rax", "memory"); \
        a->hi = 0;                                                                                          \
    }
/* xmm0 destination, mm1 source. */
#define XM(name, insn)                                                                                     \
    static void name(v128 *a, v128 *b, uint32_t *m) {                                                     \
        __asm__ volatile("ldmxcsr (%2)\n movaps (%0),%%xmm0\n movq (%1),%%mm1\n " insn "\n"                \
                         " movaps %%xmm0,(%0)\n stmxcsr (%2)\n emms" ::"r"(a), "r"(b), "r"(m) : "xmm0", "mm1", "memory"); \
    }
/* mm0 destination, xmm1 source. */
#define MX(name, insn)                                                                                     \
    static void name(v128 *a, v128 *b, uint32_t *m) {                                                     \
        __asm__ volatile("ldmxcsr (%2)\n movq (%0),%%mm0\n movaps (%1),%%xmm1\n " insn "\n"                \
                         " movq %%mm0,(%0)\n stmxcsr (%2)\n emms" ::"r"(a), "r"(b), "r"(m) : "mm0", "xmm1", "memory"); \
        a->hi = 0;                                                                                          \
    }

#define XLIST                                                                                              \
    E(paddb) E(paddw) E(paddd) E(paddq) E(psubb) E(psubw) E(psubd) E(psubq) E(paddsb) E(paddsw) E(paddusb) \
    E(paddusw) E(psubsb) E(psubsw) E(psubusb) E(psubusw) E(pcmpeqb) E(pcmpeqw) E(pcmpeqd) E(pcmpgtb)     \
    E(pcmpgtw) E(pcmpgtd) E(pand) E(pandn) E(por) E(pxor) E(pmullw) E(pmulhw) E(pmulhuw) E(pmaddwd)      \
    E(pmuludq) E(pavgb) E(pavgw) E(pminub) E(pmaxub) E(pminsw) E(pmaxsw) E(psadbw) E(packsswb)           \
    E(packssdw) E(packuswb) E(punpcklbw) E(punpcklwd) E(punpckldq) E(punpcklqdq) E(punpckhbw)            \
    E(punpckhwd) E(punpckhdq) E(punpckhqdq) E(psrlw) E(psrld) E(psrlq) E(psraw) E(psrad) E(psllw)         \
    E(pslld) E(psllq) E(unpcklps) E(unpckhps) E(unpcklpd) E(unpckhpd) E(andnps) E(orpd) E(movhlps)        \
    E(movlhps) E(movss) E(movsd)
#define MLIST                                                                                              \
    E(paddb) E(paddsw) E(paddusb) E(psubsb) E(psubusw) E(pcmpgtd) E(pcmpeqw) E(pmullw) E(pmulhw)         \
    E(pmulhuw) E(pmaddwd) E(pmuludq) E(paddq) E(psubq) E(psadbw) E(pavgb) E(pavgw) E(pminub) E(pmaxsw)    \
    E(packsswb) E(packssdw) E(packuswb) E(punpcklbw) E(punpcklwd) E(punpckldq) E(punpckhbw) E(punpckhwd)  \
    E(punpckhdq) E(psraw) E(psrad) E(psrlq) E(psllw) E(pandn) E(pxor)

#define E(n) X(x_##n, #n " %%xmm1,%%xmm0")
XLIST
#undef E
#define E(n) M(m_##n, #n " %%mm1,%%mm0")
MLIST
#undef E
X(x_movq, "movq %%xmm1,%%xmm0")

/* Immediate forms. */
X(x_psrlw_03, "psrlw $3,%%xmm0") X(x_psrlw_10, "psrlw $16,%%xmm0") X(x_psraw_0f, "psraw $15,%%xmm0")
X(x_psraw_c8, "psraw $200,%%xmm0") X(x_psrad_1f, "psrad $31,%%xmm0") X(x_psrad_21, "psrad $33,%%xmm0")
X(x_pslld_05, "pslld $5,%%xmm0") X(x_psllq_3f, "psllq $63,%%xmm0") X(x_psllq_40, "psllq $64,%%xmm0")
X(x_psrlq_07, "psrlq $7,%%xmm0") X(x_psrld_20, "psrld $32,%%xmm0") X(x_psllw_01, "psllw $1,%%xmm0")
X(x_psrldq_01, "psrldq $1,%%xmm0") X(x_psrldq_0f, "psrldq $15,%%xmm0") X(x_psrldq_10, "psrldq $16,%%xmm0")
X(x_pslldq_07, "pslldq $7,%%xmm0") X(x_pslldq_ff, "pslldq $255,%%xmm0")
X(x_pshufd_1b, "pshufd $0x1b,%%xmm1,%%xmm0") X(x_pshufd_4e, "pshufd $0x4e,%%xmm1,%%xmm0")
X(x_pshufhw_b1, "pshufhw $0xb1,%%xmm1,%%xmm0") X(x_pshuflw_e4, "pshuflw $0xe4,%%xmm1,%%xmm0")
X(x_pshuflw_03, "pshuflw $0x03,%%xmm1,%%xmm0")
X(x_shufps_1b, "shufps $0x1b,%%xmm1,%%xmm0") X(x_shufps_9c, "shufps $0x9c,%%xmm1,%%xmm0")
X(x_shufpd_01, "shufpd $1,%%xmm1,%%xmm0") X(x_shufpd_02, "shufpd $2,%%xmm1,%%xmm0")
X(x_pinsrw_05, "movd %%xmm1,%%eax\n pinsrw $5,%%eax,%%xmm0") X(x_pextrw_06, "pextrw $6,%%xmm1,%%eax\n movd %%eax,%%xmm0")
X(x_pmovmskb, "pmovmskb %%xmm1,%%eax\n movd %%eax,%%xmm0") X(x_movmskps, "movmskps %%xmm1,%%eax\n movd %%eax,%%xmm0")
X(x_movmskpd, "movmskpd %%xmm1,%%eax\n movd %%eax,%%xmm0")
M(m_psrlw_0f, "psrlw $15,%%mm0") M(m_psrad_40, "psrad $64,%%mm0") M(m_psllq_20, "psllq $32,%%mm0")
M(m_pshufw_1b, "pshufw $0x1b,%%mm1,%%mm0") M(m_pshufw_a7, "pshufw $0xa7,%%mm1,%%mm0")
M(m_pinsrw_02, "movd %%mm1,%%eax\n pinsrw $2,%%eax,%%mm0") M(m_pextrw_03, "pextrw $3,%%mm1,%%eax\n movd %%eax,%%mm0")
M(m_pmovmskb, "pmovmskb %%mm1,%%eax\n movd %%eax,%%mm0")
XM(cvtpi2ps, "cvtpi2ps %%mm1,%%xmm0") XM(cvtpi2pd, "cvtpi2pd %%mm1,%%xmm0") XM(movq2dq, "movq2dq %%mm1,%%xmm0")
MX(cvtps2pi, "cvtps2pi %%xmm1,%%mm0") MX(cvttps2pi, "cvttps2pi %%xmm1,%%mm0") MX(cvtpd2pi, "cvtpd2pi %%xmm1,%%mm0")
MX(cvttpd2pi, "cvttpd2pi %%xmm1,%%mm0") MX(movdq2q, "movdq2q %%xmm1,%%mm0")

typedef void (*opfn)(v128 *, v128 *, uint32_t *);
struct opdef { const char *name; opfn f; int count; };
static const struct opdef ops[] = {
#define E(n) {"x." #n, x_##n, 0},
    XLIST
#undef E
#define E(n) {"m." #n, m_##n, 0},
    MLIST
#undef E
    {"x.movq", x_movq, 0},
    {"x.psrlw.03", x_psrlw_03, 0}, {"x.psrlw.10", x_psrlw_10, 0}, {"x.psraw.0f", x_psraw_0f, 0},
    {"x.psraw.c8", x_psraw_c8, 0}, {"x.psrad.1f", x_psrad_1f, 0}, {"x.psrad.21", x_psrad_21, 0},
    {"x.pslld.05", x_pslld_05, 0}, {"x.psllq.3f", x_psllq_3f, 0}, {"x.psllq.40", x_psllq_40, 0},
    {"x.psrlq.07", x_psrlq_07, 0}, {"x.psrld.20", x_psrld_20, 0}, {"x.psllw.01", x_psllw_01, 0},
    {"x.psrldq.01", x_psrldq_01, 0}, {"x.psrldq.0f", x_psrldq_0f, 0}, {"x.psrldq.10", x_psrldq_10, 0},
    {"x.pslldq.07", x_pslldq_07, 0}, {"x.pslldq.ff", x_pslldq_ff, 0},
    {"x.pshufd.1b", x_pshufd_1b, 0}, {"x.pshufd.4e", x_pshufd_4e, 0}, {"x.pshufhw.b1", x_pshufhw_b1, 0},
    {"x.pshuflw.e4", x_pshuflw_e4, 0}, {"x.pshuflw.03", x_pshuflw_03, 0},
    {"x.shufps.1b", x_shufps_1b, 0}, {"x.shufps.9c", x_shufps_9c, 0}, {"x.shufpd.01", x_shufpd_01, 0},
    {"x.shufpd.02", x_shufpd_02, 0}, {"x.pinsrw.05", x_pinsrw_05, 0}, {"x.pextrw.06", x_pextrw_06, 0},
    {"x.pmovmskb", x_pmovmskb, 0}, {"x.movmskps", x_movmskps, 0}, {"x.movmskpd", x_movmskpd, 0},
    {"m.psrlw.0f", m_psrlw_0f, 0}, {"m.psrad.40", m_psrad_40, 0}, {"m.psllq.20", m_psllq_20, 0},
    {"m.pshufw.1b", m_pshufw_1b, 0}, {"m.pshufw.a7", m_pshufw_a7, 0}, {"m.pinsrw.02", m_pinsrw_02, 0},
    {"m.pextrw.03", m_pextrw_03, 0}, {"m.pmovmskb", m_pmovmskb, 0},
    {"cvtpi2ps", cvtpi2ps, 2}, {"cvtpi2pd", cvtpi2pd, 2}, {"movq2dq", movq2dq, 0}, {"cvtps2pi", cvtps2pi, 3},
    {"cvttps2pi", cvttps2pi, 3}, {"cvtpd2pi", cvtpd2pi, 4}, {"cvttpd2pi", cvttpd2pi, 4}, {"movdq2q", movdq2q, 0},
};

static int is_shift(const char *n) {
    return n[2] == 'p' && n[3] == 's' && (n[4] == 'r' || n[4] == 'l') && n[5] != 'h' && n[6] != 0 && n[7] == 0 &&
           n[1] == '.';
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    if (argc > 2) rs = strtoull(argv[2], 0, 0);
    int nops = sizeof ops / sizeof ops[0];
    for (int it = 0; it < n; it++) {
        const struct opdef *o = &ops[rnd() % nops];
        uint32_t mx = 0x1F80 | ((uint32_t)(rnd() % 4) << 13);
        v128 a = {gen64(), gen64()}, b = {gen64(), gen64()};
        if (is_shift(o->name) && rnd() % 4 != 0) { b.lo = gen_count(); }
        if (o->count == 2 || o->count == 3 || o->count == 4) {
            /* Integers and floats near the int32 range. */
            if (o->count == 3) {
                uint32_t w[2];
                for (int i = 0; i < 2; i++) {
                    uint32_t s = (rnd() & 1) << 31;
                    w[i] = rnd() % 3 ? s | ((uint32_t)(120 + rnd() % 40) << 23) | (rnd() & 0x7FFFFF) : (uint32_t)rnd();
                }
                b.lo = w[0] | (uint64_t)w[1] << 32;
            } else if (o->count == 4) {
                for (int i = 0; i < 2; i++) {
                    uint64_t s = (rnd() & 1) << 63;
                    uint64_t v = rnd() % 3 ? s | ((uint64_t)(1000 + rnd() % 40) << 52) | (rnd() & 0xFFFFFFFFFFFFFull) : rnd();
                    if (i) b.hi = v; else b.lo = v;
                }
            }
        }
        v128 r = a;
        uint32_t m = mx;
        o->f(&r, &b, &m);
        printf("%s %04x %016llx%016llx %016llx%016llx -> %016llx%016llx %04x\n", o->name, mx,
               (unsigned long long)a.hi, (unsigned long long)a.lo, (unsigned long long)b.hi,
               (unsigned long long)b.lo, (unsigned long long)r.hi, (unsigned long long)r.lo, m);
    }
    return 0;
}
