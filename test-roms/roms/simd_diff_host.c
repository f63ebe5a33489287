/* simd_diff_host.c - replay the SSE/SSE2 floating-point operations of a
 * simd_diff output on the host's own SSE (x86-64 Linux) and print them in
 * the same line format, for comparison with QEMU's and oxbox's lines
 * (docs/simd-differences.md, "Real hardware").
 *
 *   cc -O1 -o /tmp/simd_host simd_diff_host.c
 *   /tmp/simd_host < oxbox-output > host-output
 *
 * Replayed: the MMX section (every instruction but the stores, with the
 * tag word FNSTENV reports) and the floating-point arithmetic, compares,
 * COMIS/UCOMIS and conversions of SSE/SSE2; other lines are skipped.
 * an unmasked exception is caught through SIGFPE and printed as "exc=13"
 * (or "exc=06" on lines marked osx=0, where CR4.OSXMMEXCPT = 0 makes it
 * #UD) with the registers and MXCSR the fault left.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

static struct {
	uint8_t a[16], b[16];
	uint32_t eax, mx;
	uint32_t mxo, eflo, eaxo;
	uint8_t xo[16];
	uint64_t mmo;
	uint16_t env[14];
} S;
static const uint32_t defmx = 0x1F80;
static sigjmp_buf jb;
static volatile int faulted;

#define PRE "movups %[a],%%xmm0\n movups %[b],%%xmm1\n movq %[a],%%mm0\n" \
	"movq %[b],%%mm1\n mov %[eax],%%eax\n ldmxcsr %[mx]\n"
#define POST "\n stmxcsr %[mxo]\n movups %%xmm0,%[xo]\n movq %%mm0,%[mmo]\n" \
	"mov %%eax,%[eaxo]\n pushfq\n pop %%rcx\n mov %%ecx,%[eflo]\n" \
	"ldmxcsr %[def]\n emms\n"
#define FN(id, insn) static void id(void) { \
	asm volatile(PRE insn POST \
		: [mxo] "=m"(S.mxo), [xo] "=m"(S.xo), [mmo] "=m"(S.mmo), \
		  [eaxo] "=m"(S.eaxo), [eflo] "=m"(S.eflo) \
		: [a] "m"(S.a), [b] "m"(S.b), [eax] "m"(S.eax), [mx] "m"(S.mx), \
		  [def] "m"(defmx) \
		: "rax", "rcx", "xmm0", "xmm1", "mm0", "mm1", "memory", "cc"); }

/* MMX section: FNINIT first, the tag word from FNSTENV afterwards */
#define FNM(id, insn) static void id(void) { \
	asm volatile("fninit\n movq %[a],%%mm0\n movq %[b],%%mm1\n" \
		"mov %[eax],%%eax\n" insn "\n movq %%mm0,%[mmo]\n" \
		"mov %%eax,%[eaxo]\n fnstenv %[env]\n emms\n fninit\n" \
		: [mmo] "=m"(S.mmo), [eaxo] "=m"(S.eaxo), [env] "=m"(S.env) \
		: [a] "m"(S.a), [b] "m"(S.b), [eax] "m"(S.eax) \
		: "rax", "mm0", "mm1", "memory", "cc"); }

enum { X = 1, Q = 2, R = 4, F = 8, T = 16, IR = 32 };
struct op { const char *name; void (*fn)(void); int io; };

#define R2(n) FN(f_##n, #n " %%xmm1,%%xmm0")
#define M2(n) FN(f_##n##_m, #n " %[b],%%xmm0")
#define CMP(n, i) FN(f_##n##_##i, #n " $" #i ",%%xmm1,%%xmm0")
#define CMP8(n) CMP(n,0) CMP(n,1) CMP(n,2) CMP(n,3) CMP(n,4) CMP(n,5) CMP(n,6) CMP(n,7)
#define ARITH(s) R2(add##s) R2(sub##s) R2(mul##s) R2(div##s) R2(max##s) \
	R2(min##s) R2(sqrt##s) CMP8(cmp##s)
ARITH(ps) ARITH(ss) ARITH(pd) ARITH(sd)
M2(addps) M2(mulss) M2(divss) M2(sqrtss) M2(maxps)
M2(addpd) M2(mulsd) M2(divsd) M2(sqrtsd)
R2(comiss) R2(ucomiss) M2(comiss) R2(comisd) R2(ucomisd) M2(ucomisd)
R2(cvtdq2pd) R2(cvtdq2ps) R2(cvtpd2dq) R2(cvtpd2ps) R2(cvtps2dq)
R2(cvtps2pd) R2(cvtsd2ss) R2(cvtss2sd) R2(cvttpd2dq) R2(cvttps2dq)
M2(cvtps2pd) M2(cvtsd2ss)
FN(f_cvtpi2ps, "cvtpi2ps %%mm1,%%xmm0")
FN(f_cvtpi2pd, "cvtpi2pd %%mm1,%%xmm0")
FN(f_cvtsi2ss, "cvtsi2ssl %%eax,%%xmm0")
FN(f_cvtsi2ss_m, "cvtsi2ssl %[b],%%xmm0")
FN(f_cvtsi2sd, "cvtsi2sdl %%eax,%%xmm0")
FN(f_cvtps2pi, "cvtps2pi %%xmm1,%%mm0")
FN(f_cvttps2pi, "cvttps2pi %%xmm1,%%mm0")
FN(f_cvtpd2pi, "cvtpd2pi %%xmm1,%%mm0")
FN(f_cvttpd2pi, "cvttpd2pi %%xmm1,%%mm0")
FN(f_cvtss2si, "cvtss2si %%xmm1,%%eax")
FN(f_cvttss2si, "cvttss2si %%xmm1,%%eax")
FN(f_cvtss2si_m, "cvtss2si %[b],%%eax")
FN(f_cvtsd2si, "cvtsd2si %%xmm1,%%eax")
FN(f_cvttsd2si, "cvttsd2si %%xmm1,%%eax")

#define MR(n) FNM(m_##n, #n " %%mm1,%%mm0")
#define MM(n) FNM(m_##n##_m, #n " %[b],%%mm0")
#define MI(n, i) FNM(m_##n##_##i, #n " $" #i ",%%mm0")
#define MI12(n) MI(n,0) MI(n,1) MI(n,2) MI(n,7) MI(n,8) MI(n,15) MI(n,16) \
	MI(n,31) MI(n,32) MI(n,63) MI(n,64) MI(n,255)
MR(packsswb) MR(packssdw) MR(packuswb) MR(paddb) MR(paddw) MR(paddd)
MR(paddsb) MR(paddsw) MR(paddusb) MR(paddusw) MR(psubb) MR(psubw) MR(psubd)
MR(psubsb) MR(psubsw) MR(psubusb) MR(psubusw) MR(pand) MR(pandn) MR(por)
MR(pxor) MR(pcmpeqb) MR(pcmpeqw) MR(pcmpeqd) MR(pcmpgtb) MR(pcmpgtw)
MR(pcmpgtd) MR(pmaddwd) MR(pmulhw) MR(pmullw) MR(psllw) MR(pslld) MR(psllq)
MR(psrlw) MR(psrld) MR(psrlq) MR(psraw) MR(psrad) MR(punpckhbw)
MR(punpckhwd) MR(punpckhdq) MR(punpcklbw) MR(punpcklwd) MR(punpckldq)
MM(packsswb) MM(paddd) MM(pxor) MM(pmulhw) MM(psraw) MM(punpcklbw)
MI12(psllw) MI12(pslld) MI12(psllq) MI12(psrlw) MI12(psrld) MI12(psrlq)
MI12(psraw) MI12(psrad)
FNM(m_movd_mr, "movd %%eax,%%mm0")
FNM(m_movd_rm, "movd %%mm0,%%eax")
FNM(m_movd_mm, "movd %[b],%%mm0")
FNM(m_movq, "movq %%mm1,%%mm0")
FNM(m_movq_ld, "movq %[b],%%mm0")
FNM(m_emms, "emms")
FNM(m_paddb_u, "paddb %[b],%%mm0")
FNM(m_movd_u, "movd %[b],%%mm0")
FNM(m_punpcklw_u, "punpcklwd %[b],%%mm0")

#define E(n, io) { #n, f_##n, io },
#define EC(n, i) { #n ".0" #i, f_##n##_##i, X },
#define EC8(n) EC(n,0) EC(n,1) EC(n,2) EC(n,3) EC(n,4) EC(n,5) EC(n,6) EC(n,7)
#define EARITH(s) E(add##s, X) E(sub##s, X) E(mul##s, X) E(div##s, X) \
	E(max##s, X) E(min##s, X) E(sqrt##s, X) EC8(cmp##s)
#define EM(n) { #n, m_##n, Q | T },
#define EMM(n) { #n "_m", m_##n##_m, Q | T },
#define EI(n, i, h) { #n "_i." h, m_##n##_##i, Q | T },
#define EI12(n) EI(n,0,"00") EI(n,1,"01") EI(n,2,"02") EI(n,7,"07") \
	EI(n,8,"08") EI(n,15,"0F") EI(n,16,"10") EI(n,31,"1F") EI(n,32,"20") \
	EI(n,63,"3F") EI(n,64,"40") EI(n,255,"FF")
static const struct op ops[] = {
	EM(packsswb) EM(packssdw) EM(packuswb) EM(paddb) EM(paddw) EM(paddd)
	EM(paddsb) EM(paddsw) EM(paddusb) EM(paddusw) EM(psubb) EM(psubw)
	EM(psubd) EM(psubsb) EM(psubsw) EM(psubusb) EM(psubusw) EM(pand)
	EM(pandn) EM(por) EM(pxor) EM(pcmpeqb) EM(pcmpeqw) EM(pcmpeqd)
	EM(pcmpgtb) EM(pcmpgtw) EM(pcmpgtd) EM(pmaddwd) EM(pmulhw) EM(pmullw)
	EM(psllw) EM(pslld) EM(psllq) EM(psrlw) EM(psrld) EM(psrlq) EM(psraw)
	EM(psrad) EM(punpckhbw) EM(punpckhwd) EM(punpckhdq) EM(punpcklbw)
	EM(punpcklwd) EM(punpckldq)
	EMM(packsswb) EMM(paddd) EMM(pxor) EMM(pmulhw) EMM(psraw)
	EMM(punpcklbw)
	EI12(psllw) EI12(pslld) EI12(psllq) EI12(psrlw) EI12(psrld)
	EI12(psrlq) EI12(psraw) EI12(psrad)
	{ "movd_mr", m_movd_mr, Q | T | IR }, { "movd_rm", m_movd_rm, R | T },
	EM(movd_mm) EM(movq) EM(movq_ld) EM(emms) EM(paddb_u) EM(movd_u)
	EM(punpcklw_u)
	EARITH(ps) EARITH(ss) EARITH(pd) EARITH(sd)
	E(addps_m, X) E(mulss_m, X) E(divss_m, X) E(sqrtss_m, X) E(maxps_m, X)
	E(addpd_m, X) E(mulsd_m, X) E(divsd_m, X) E(sqrtsd_m, X)
	E(comiss, F) E(ucomiss, F) E(comiss_m, F) E(comisd, F) E(ucomisd, F)
	E(ucomisd_m, F)
	E(cvtdq2pd, X) E(cvtdq2ps, X) E(cvtpd2dq, X) E(cvtpd2ps, X)
	E(cvtps2dq, X) E(cvtps2pd, X) E(cvtsd2ss, X) E(cvtss2sd, X)
	E(cvttpd2dq, X) E(cvttps2dq, X) E(cvtps2pd_m, X) E(cvtsd2ss_m, X)
	E(cvtpi2ps, X) E(cvtpi2pd, X) E(cvtsi2ss, X) E(cvtsi2ss_m, X)
	E(cvtsi2sd, X) E(cvtps2pi, Q) E(cvttps2pi, Q) E(cvtpd2pi, Q)
	E(cvttpd2pi, Q) E(cvtss2si, R) E(cvttss2si, R) E(cvtss2si_m, R)
	E(cvtsd2si, R) E(cvttsd2si, R)
};

static void onfpe(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
	(void)sig;
	(void)si;
	S.mxo = fp->mxcsr;
	memcpy(S.xo, &fp->_xmm[0], 16);
	memcpy(&S.mmo, fp->_st[0].significand, 8);
	S.eaxo = (uint32_t)uc->uc_mcontext.gregs[REG_RAX];
	faulted = 1;
	siglongjmp(jb, 1);
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	size_t len = strlen(s);
	if (len != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[n - 1 - i] = (uint8_t)v;
	}
	return 0;
}

static void hex(const char *key, const void *p, size_t n)
{
	const uint8_t *b = p;
	printf(" %s=", key);
	for (size_t i = n; i-- > 0;)
		printf("%02X", b[i]);
}

int main(void)
{
	struct sigaction sa;
	char line[1024];
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = onfpe;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGFPE, &sa, NULL);
	while (fgets(line, sizeof line, stdin)) {
		char num[16], name[32], *tok, *save;
		const struct op *volatile op = NULL;
		int have = 0;
		volatile int osx = 1;
		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "%15s %31s", num, name) != 2 || strlen(num) != 5)
			continue;
		for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
			if (!strcmp(ops[i].name, name))
				op = &ops[i];
		if (!op)
			continue;
		memset(&S, 0, sizeof S);
		strtok_r(line, " ", &save);
		strtok_r(NULL, " ", &save);
		while ((tok = strtok_r(NULL, " ", &save)) && strcmp(tok, ">")) {
			size_t w = op->io & T ? 8 : 16;
			if (!strncmp(tok, "a=", 2))
				have |= !unhex(tok + 2, S.a, w);
			else if (!strncmp(tok, "b=", 2))
				have |= !unhex(tok + 2, S.b, w) << 1;
			else if (!strcmp(tok, "osx=0"))
				osx = 0;
			else if (!strncmp(tok, "m=", 2))
				have |= (sscanf(tok + 2, "%x", &S.mx) == 1) << 2;
		}
		if (op->io & T)
			have |= 4;
		if (have != 7)
			continue;
		memcpy(&S.eax, S.b, 4);
		faulted = 0;
		if (!sigsetjmp(jb, 1))
			op->fn();
		else
			asm volatile("ldmxcsr %0\n emms" : : "m"(defmx));
		printf("%s %s", num, name);
		hex("a", S.a, op->io & T ? 8 : 16);
		hex("b", S.b, op->io & T ? 8 : 16);
		if (op->io & IR || (!strncmp(name, "cvtsi2s", 7) && !strstr(name, "_m")))
			hex("r", &S.eax, 4);
		if (op->io & T) {
			printf(" >");
			if (op->io & Q)
				hex("q", &S.mmo, 8);
			if (op->io & R)
				hex("r", &S.eaxo, 4);
			hex("tw", &S.env[4], 2);
			printf("\n");
			continue;
		}
		if (!osx)
			printf(" osx=0");
		hex("m", &S.mx, 4);
		printf(" >");
		if (op->io & X)
			hex("x", S.xo, 16);
		if (op->io & Q)
			hex("q", &S.mmo, 8);
		if (op->io & R)
			hex("r", &S.eaxo, 4);
		if (op->io & F && !faulted) {
			uint16_t f = S.eflo & 0x8D5;
			hex("f", &f, 2);
		}
		hex("m", &S.mxo, 4);
		if (faulted)
			printf(" exc=%s", osx ? "13" : "06");
		printf("\n");
	}
	return 0;
}
