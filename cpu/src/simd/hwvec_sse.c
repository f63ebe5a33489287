/* Records SSE/SSE2 floating-point results on the host (x86-64) for
 * sse_vectors.txt. Build: gcc -O1 -o hwvec_sse hwvec_sse.c
 * Run: ./hwvec_sse N [SEED] > sse_vectors.txt
 *
 * Line: op mxcsr a b -> result mxcsr_after
 *   a, b: the 128-bit xmm0 and xmm1 images (hex, high qword first);
 *   for cvtsi2ss/cvtsi2sd, b's low dword is the integer in ECX.
 *   result: xmm0 after the instruction; for comiss/comisd/ucomis* the
 *   EFLAGS bits ZF PF CF OF SF AF (hex); for cvt*2si the EAX value.
 *   "FAULT mxcsr" when the instruction raised an unmasked SIMD exception
 *   (SIGFPE; MXCSR read from the signal frame).
 * RCPSS/RSQRTSS are left out: the SDM only bounds their error and every
 * vendor rounds them differently.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

typedef struct { uint64_t lo, hi; } __attribute__((aligned(16))) v128;

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }

static sigjmp_buf jb;
static volatile uint32_t fault_mx;
static void on_fpe(int sig, siginfo_t *si, void *uc_) {
    (void)sig; (void)si;
    ucontext_t *uc = uc_;
    fault_mx = uc->uc_mcontext.fpregs->mxcsr;
    siglongjmp(jb, 1);
}

/* Operand generators. */
static uint32_t gen32(void) {
    int r = rnd() % 100;
    uint32_t s = (rnd() & 1) << 31;
    if (r < 30) {
        switch (rnd() % 14) {
        case 0: return s;                                        /* zero */
        case 1: return s | 0x7F800000;                           /* inf */
        case 2: return s | 0x7FC00000 | (rnd() & 0x3FFFFF);      /* qnan */
        case 3: return s | 0x7F800000 | ((rnd() & 0x3FFFFF) | 1); /* snan */
        case 4: return s | ((rnd() & 0x7FFFFF) | 1);             /* denormal */
        case 5: return s | 0x7F7FFFFF;                           /* max */
        case 6: return s | 0x00800000;                           /* min normal */
        case 7: return s | 0x3F800000;                           /* 1 */
        case 8: return s | 0x00000001;                           /* min denormal */
        case 9: return s | 0x007FFFFF;                           /* max denormal */
        case 10: return s | ((uint32_t)(1 + rnd() % 24) << 23) | (rnd() & 0x7FFFFF); /* tiny normal */
        case 11: return s | ((uint32_t)(230 + rnd() % 24) << 23) | (rnd() & 0x7FFFFF); /* huge */
        case 12: return s | ((uint32_t)(127 + 20 + rnd() % 14) << 23) | (rnd() & 0x7FFFFF); /* near 2^31 */
        default: return s | ((uint32_t)(120 + rnd() % 16) << 23) | ((rnd() & 0x7FFFFF) & ~((1u << (rnd() % 23)) - 1));
        }
    }
    if (r < 45) return (uint32_t)rnd();
    if (r < 60) return s | ((uint32_t)(rnd() % 40) << 23) | (rnd() & 0x7FFFFF); /* small */
    return s | ((uint32_t)(127 - 30 + rnd() % 60) << 23) | (rnd() & 0x7FFFFF);
}

static uint64_t gen64(void) {
    int r = rnd() % 100;
    uint64_t s = (rnd() & 1) << 63;
    uint64_t f = rnd() & 0xFFFFFFFFFFFFFull;
    if (r < 30) {
        switch (rnd() % 14) {
        case 0: return s;
        case 1: return s | 0x7FF0000000000000ull;
        case 2: return s | 0x7FF8000000000000ull | (f & 0x7FFFFFFFFFFFFull);
        case 3: return s | 0x7FF0000000000000ull | ((f & 0x7FFFFFFFFFFFFull) | 1);
        case 4: return s | (f | 1);
        case 5: return s | 0x7FEFFFFFFFFFFFFFull;
        case 6: return s | 0x0010000000000000ull;
        case 7: return s | 0x3FF0000000000000ull;
        case 8: return s | 1;
        case 9: return s | 0x000FFFFFFFFFFFFFull;
        case 10: return s | ((uint64_t)(1 + rnd() % 53) << 52) | f;
        case 11: return s | ((uint64_t)(2000 + rnd() % 46) << 52) | f;
        case 12: return s | ((uint64_t)(1023 + 20 + rnd() % 14) << 52) | f; /* near 2^31 */
        default: /* binary32 range edges, for CVTSD2SS */
            return s | ((uint64_t)(1023 - 126 - 30 + rnd() % 40) << 52) | (f & ~((1ull << (rnd() % 52)) - 1));
        }
    }
    if (r < 45) return rnd();
    if (r < 55) return s | ((uint64_t)(1023 + 120 + rnd() % 16) << 52) | f; /* binary32 overflow edge */
    if (r < 65) return s | ((uint64_t)(rnd() % 60) << 52) | f;
    return s | ((uint64_t)(1023 - 60 + rnd() % 120) << 52) | f;
}

static uint32_t gen_int(void) {
    switch (rnd() % 6) {
    case 0: return 0x80000000u;
    case 1: return 0x7FFFFFFFu;
    case 2: return (uint32_t)(rnd() % 2000) - 1000;
    case 3: return (uint32_t)rnd() | 0x01000000;
    default: return (uint32_t)rnd();
    }
}

/* b close to a (cancellation, rounding ties). */
static uint32_t near32(uint32_t a) { return (a ^ (uint32_t)(rnd() % 5)) ^ ((rnd() & 1) << 31); }
static uint64_t near64(uint64_t a) { return (a ^ (rnd() % 5)) ^ ((rnd() & 1) << 63); }

#define RR(name, insn)                                                                            \
    static void name(v128 *a, v128 *b, uint32_t *m, uint64_t *x) {                               \
        (void)x;                                                                                  \
        __asm__ volatile("ldmxcsr (%2)\n movaps (%0),%%xmm0\n movaps (%1),%%xmm1\n " insn "\n"   \
                         " movaps %%xmm0,(%0)\n stmxcsr (%2)" ::"r"(a), "r"(b), "r"(m)              \
                         : "xmm0", "xmm1", "memory");                                              \
    }
#define CMPI(name, insn)                                                                          \
    static void name(v128 *a, v128 *b, uint32_t *m, uint64_t *x) {                               \
        uint64_t f;                                                                               \
        __asm__ volatile("ldmxcsr (%3)\n movaps (%1),%%xmm0\n movaps (%2),%%xmm1\n " insn "\n"   \
                         " pushfq\n pop %0\n stmxcsr (%3)" : "=r"(f) : "r"(a), "r"(b), "r"(m)       \
                         : "xmm0", "xmm1", "memory", "cc");                                        \
        *x = f & 0x8D5;                                                                           \
    }
#define TOI(name, insn)                                                                           \
    static void name(v128 *a, v128 *b, uint32_t *m, uint64_t *x) {                               \
        uint64_t r = 0x12345678;                                                                  \
        (void)a;                                                                                  \
        __asm__ volatile("ldmxcsr (%3)\n movaps (%2),%%xmm1\n " insn "\n stmxcsr (%3)"            \
                         : "+r"(r) : "r"(a), "r"(b), "r"(m) : "xmm1", "memory");                   \
        *x = (uint32_t)r;                                                                         \
    }
#define FROMI(name, insn)                                                                         \
    static void name(v128 *a, v128 *b, uint32_t *m, uint64_t *x) {                               \
        uint32_t v = (uint32_t)b->lo;                                                             \
        (void)x;                                                                                  \
        __asm__ volatile("ldmxcsr (%2)\n movaps (%0),%%xmm0\n " insn "\n movaps %%xmm0,(%0)\n"   \
                         " stmxcsr (%2)" ::"r"(a), "r"(v), "r"(m) : "xmm0", "memory");             \
    }

RR(addss, "addss %%xmm1,%%xmm0") RR(subss, "subss %%xmm1,%%xmm0") RR(mulss, "mulss %%xmm1,%%xmm0")
RR(divss, "divss %%xmm1,%%xmm0") RR(minss, "minss %%xmm1,%%xmm0") RR(maxss, "maxss %%xmm1,%%xmm0")
RR(sqrtss, "sqrtss %%xmm1,%%xmm0")
RR(addsd, "addsd %%xmm1,%%xmm0") RR(subsd, "subsd %%xmm1,%%xmm0") RR(mulsd, "mulsd %%xmm1,%%xmm0")
RR(divsd, "divsd %%xmm1,%%xmm0") RR(minsd, "minsd %%xmm1,%%xmm0") RR(maxsd, "maxsd %%xmm1,%%xmm0")
RR(sqrtsd, "sqrtsd %%xmm1,%%xmm0")
RR(addps, "addps %%xmm1,%%xmm0") RR(mulps, "mulps %%xmm1,%%xmm0") RR(divps, "divps %%xmm1,%%xmm0")
RR(subpd, "subpd %%xmm1,%%xmm0") RR(mulpd, "mulpd %%xmm1,%%xmm0") RR(sqrtpd, "sqrtpd %%xmm1,%%xmm0")
RR(maxps, "maxps %%xmm1,%%xmm0") RR(minpd, "minpd %%xmm1,%%xmm0")
RR(cmpss0, "cmpss $0,%%xmm1,%%xmm0") RR(cmpss1, "cmpss $1,%%xmm1,%%xmm0") RR(cmpss2, "cmpss $2,%%xmm1,%%xmm0")
RR(cmpss3, "cmpss $3,%%xmm1,%%xmm0") RR(cmpss4, "cmpss $4,%%xmm1,%%xmm0") RR(cmpss5, "cmpss $5,%%xmm1,%%xmm0")
RR(cmpss6, "cmpss $6,%%xmm1,%%xmm0") RR(cmpss7, "cmpss $7,%%xmm1,%%xmm0")
RR(cmpsd1, "cmpsd $1,%%xmm1,%%xmm0") RR(cmpsd4, "cmpsd $4,%%xmm1,%%xmm0") RR(cmppd2, "cmppd $2,%%xmm1,%%xmm0")
RR(cmpps6, "cmpps $6,%%xmm1,%%xmm0")
RR(cvtss2sd, "cvtss2sd %%xmm1,%%xmm0") RR(cvtsd2ss, "cvtsd2ss %%xmm1,%%xmm0")
RR(cvtps2pd, "cvtps2pd %%xmm1,%%xmm0") RR(cvtpd2ps, "cvtpd2ps %%xmm1,%%xmm0")
RR(cvtdq2ps, "cvtdq2ps %%xmm1,%%xmm0") RR(cvtps2dq, "cvtps2dq %%xmm1,%%xmm0")
RR(cvttps2dq, "cvttps2dq %%xmm1,%%xmm0") RR(cvtdq2pd, "cvtdq2pd %%xmm1,%%xmm0")
RR(cvtpd2dq, "cvtpd2dq %%xmm1,%%xmm0") RR(cvttpd2dq, "cvttpd2dq %%xmm1,%%xmm0")
CMPI(comiss, "comiss %%xmm1,%%xmm0") CMPI(ucomiss, "ucomiss %%xmm1,%%xmm0")
CMPI(comisd, "comisd %%xmm1,%%xmm0") CMPI(ucomisd, "ucomisd %%xmm1,%%xmm0")
TOI(cvtss2si, "cvtss2si %%xmm1,%k0") TOI(cvttss2si, "cvttss2si %%xmm1,%k0")
TOI(cvtsd2si, "cvtsd2si %%xmm1,%k0") TOI(cvttsd2si, "cvttsd2si %%xmm1,%k0")
FROMI(cvtsi2ss, "cvtsi2ss %k1,%%xmm0") FROMI(cvtsi2sd, "cvtsi2sd %k1,%%xmm0")

typedef void (*opfn)(v128 *, v128 *, uint32_t *, uint64_t *);
/* kind: 0 xmm result, 1 flags, 2 integer; fmt: lane type of a/b
 * (0 f32, 1 f64, 2 int32 lanes, 3 b is one int32) */
struct opdef { const char *name; opfn f; int kind, fmt; };
static const struct opdef ops[] = {
    {"addss", addss, 0, 0}, {"subss", subss, 0, 0}, {"mulss", mulss, 0, 0}, {"divss", divss, 0, 0},
    {"minss", minss, 0, 0}, {"maxss", maxss, 0, 0}, {"sqrtss", sqrtss, 0, 0},
    {"addsd", addsd, 0, 1}, {"subsd", subsd, 0, 1}, {"mulsd", mulsd, 0, 1}, {"divsd", divsd, 0, 1},
    {"minsd", minsd, 0, 1}, {"maxsd", maxsd, 0, 1}, {"sqrtsd", sqrtsd, 0, 1},
    {"addps", addps, 0, 0}, {"mulps", mulps, 0, 0}, {"divps", divps, 0, 0}, {"maxps", maxps, 0, 0},
    {"subpd", subpd, 0, 1}, {"mulpd", mulpd, 0, 1}, {"sqrtpd", sqrtpd, 0, 1}, {"minpd", minpd, 0, 1},
    {"cmpss0", cmpss0, 0, 0}, {"cmpss1", cmpss1, 0, 0}, {"cmpss2", cmpss2, 0, 0}, {"cmpss3", cmpss3, 0, 0},
    {"cmpss4", cmpss4, 0, 0}, {"cmpss5", cmpss5, 0, 0}, {"cmpss6", cmpss6, 0, 0}, {"cmpss7", cmpss7, 0, 0},
    {"cmpsd1", cmpsd1, 0, 1}, {"cmpsd4", cmpsd4, 0, 1}, {"cmppd2", cmppd2, 0, 1}, {"cmpps6", cmpps6, 0, 0},
    {"cvtss2sd", cvtss2sd, 0, 0}, {"cvtsd2ss", cvtsd2ss, 0, 1}, {"cvtps2pd", cvtps2pd, 0, 0},
    {"cvtpd2ps", cvtpd2ps, 0, 1}, {"cvtdq2ps", cvtdq2ps, 0, 2}, {"cvtps2dq", cvtps2dq, 0, 0},
    {"cvttps2dq", cvttps2dq, 0, 0}, {"cvtdq2pd", cvtdq2pd, 0, 2}, {"cvtpd2dq", cvtpd2dq, 0, 1},
    {"cvttpd2dq", cvttpd2dq, 0, 1},
    {"comiss", comiss, 1, 0}, {"ucomiss", ucomiss, 1, 0}, {"comisd", comisd, 1, 1}, {"ucomisd", ucomisd, 1, 1},
    {"cvtss2si", cvtss2si, 2, 0}, {"cvttss2si", cvttss2si, 2, 0}, {"cvtsd2si", cvtsd2si, 2, 1},
    {"cvttsd2si", cvttsd2si, 2, 1}, {"cvtsi2ss", cvtsi2ss, 0, 3}, {"cvtsi2sd", cvtsi2sd, 0, 3},
};

static void fill(v128 *v, int fmt, const v128 *pair) {
    if (fmt == 0 || fmt == 2 || fmt == 3) {
        uint32_t w[4];
        for (int i = 0; i < 4; i++) {
            if (fmt == 0)
                w[i] = (pair && rnd() % 4 == 0) ? near32((uint32_t)((i < 2 ? pair->lo : pair->hi) >> (32 * (i & 1))))
                                                : gen32();
            else
                w[i] = gen_int();
        }
        v->lo = w[0] | (uint64_t)w[1] << 32;
        v->hi = w[2] | (uint64_t)w[3] << 32;
    } else {
        v->lo = (pair && rnd() % 4 == 0) ? near64(pair->lo) : gen64();
        v->hi = (pair && rnd() % 4 == 0) ? near64(pair->hi) : gen64();
    }
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    if (argc > 2) rs = strtoull(argv[2], 0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fpe;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGFPE, &sa, 0);
    int nops = sizeof ops / sizeof ops[0];
    for (int it = 0; it < n; it++) {
        const struct opdef *o = &ops[rnd() % nops];
        uint32_t mx = 0x1F80 | ((uint32_t)(rnd() % 4) << 13);
        if (rnd() % 3 == 0) mx |= 0x40;   /* DAZ */
        if (rnd() % 3 == 0) mx |= 0x8000; /* FTZ */
        if (rnd() % 4 == 0) mx &= ~((uint32_t)(rnd() & 0x3F) << 7);
        if (rnd() % 3 == 0) mx |= 0x20 | (uint32_t)(rnd() & 0x1F); /* sticky flags already set */
        v128 a, b;
        fill(&a, o->fmt == 3 ? 0 : o->fmt, 0);
        fill(&b, o->fmt, &a);
        v128 r = a;
        uint32_t m = mx;
        uint64_t x = 0;
        if (!sigsetjmp(jb, 1)) {
            o->f(&r, &b, &m, &x);
            printf("%s %04x %016llx%016llx %016llx%016llx -> ", o->name, mx, (unsigned long long)a.hi,
                   (unsigned long long)a.lo, (unsigned long long)b.hi, (unsigned long long)b.lo);
            if (o->kind == 0)
                printf("%016llx%016llx %04x\n", (unsigned long long)r.hi, (unsigned long long)r.lo, m);
            else
                printf("%08llx %04x\n", (unsigned long long)x, m);
        } else {
            uint32_t z = 0x1F80;
            __asm__ volatile("ldmxcsr %0" ::"m"(z));
            printf("%s %04x %016llx%016llx %016llx%016llx -> FAULT %04x\n", o->name, mx,
                   (unsigned long long)a.hi, (unsigned long long)a.lo, (unsigned long long)b.hi,
                   (unsigned long long)b.lo, fault_mx);
        }
    }
    return 0;
}
