//! iced-x86 to ops: the handler for each instruction form is chosen here,
//! once, so execution never looks at the decoder's output again.

use iced_x86::{
    Code, ConditionCode, CpuidFeature, Decoder, DecoderError, DecoderOptions, FlowControl,
    Instruction, Mnemonic, OpKind, Register,
};

use crate::bus::Bus;
use crate::op::{Handler, Op, MI, MR, REG_NONE, RI, RM, RR};
use crate::{alu, bcd, bits, control, data, io, muldiv, segment, shift, stack, string, system};

/// Decodes up to `max` instructions from `bytes` (which start at `ip`),
/// stopping after the first instruction that ends a block. Returns how
/// many bytes the ops cover. An instruction cut off by the end of `bytes`
/// is left out.
pub(crate) fn decode_block<B: Bus>(
    bytes: &[u8],
    ip: u32,
    code32: bool,
    max: usize,
    out: &mut Vec<Op<B>>,
) -> usize {
    let bitness = if code32 { 32 } else { 16 };
    let mut dec = Decoder::with_ip(bitness, bytes, ip as u64, DecoderOptions::NONE);
    let mut instr = Instruction::default();
    let mut used = 0;
    while out.len() < max && dec.can_decode() {
        let pos = dec.position();
        dec.decode_out(&mut instr);
        if instr.is_invalid() && dec.last_error() == DecoderError::NoMoreBytes {
            break;
        }
        let raw = &bytes[pos..pos + instr.len()];
        let prefix_67 = has_prefix_67(raw);
        let (mut op, ends) = build::<B>(&instr, code32 != prefix_67);
        if is_fpu(&instr) {
            op.imm2 = crate::x87::fop_from_bytes(raw);
        }
        out.push(op);
        used += instr.len();
        if ends {
            break;
        }
    }
    used
}

fn has_prefix_67(bytes: &[u8]) -> bool {
    for &b in bytes {
        match b {
            0x67 => return true,
            0x26 | 0x2E | 0x36 | 0x3E | 0x64 | 0x65 | 0x66 | 0xF0 | 0xF2 | 0xF3 => {}
            _ => return false,
        }
    }
    false
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    None,
    Reg,
    Mem,
    Imm,
}

fn kind(i: &Instruction, n: u32) -> Kind {
    if n >= i.op_count() {
        return Kind::None;
    }
    match i.op_kind(n) {
        OpKind::Register => Kind::Reg,
        OpKind::Memory
        | OpKind::MemorySegSI
        | OpKind::MemorySegESI
        | OpKind::MemoryESDI
        | OpKind::MemoryESEDI
        | OpKind::MemorySegDI
        | OpKind::MemorySegEDI => Kind::Mem,
        _ => Kind::Imm,
    }
}

fn reg_index(r: Register) -> u8 {
    if r == Register::None {
        REG_NONE
    } else {
        r.number() as u8
    }
}

/// Operand width in bits of operand `n`.
fn width(i: &Instruction, n: u32) -> u32 {
    match kind(i, n) {
        Kind::Reg => i.op_register(n).size() as u32 * 8,
        Kind::Mem => i.memory_size().size() as u32 * 8,
        _ => 0,
    }
}

/// Whether the modelled processor has this instruction.
fn allowed(i: &Instruction) -> bool {
    i.cpuid_features().iter().all(|f| {
        matches!(
            f,
            CpuidFeature::INTEL8086
                | CpuidFeature::INTEL186
                | CpuidFeature::INTEL286
                | CpuidFeature::INTEL386
                | CpuidFeature::INTEL486
                | CpuidFeature::CPUID
                | CpuidFeature::TSC
                | CpuidFeature::MSR
                | CpuidFeature::CX8
                | CpuidFeature::CMOV
                | CpuidFeature::SEP
                | CpuidFeature::MULTIBYTENOP
                | CpuidFeature::PAUSE
                | CpuidFeature::MMX
                | CpuidFeature::SSE
                | CpuidFeature::SSE2
                | CpuidFeature::CLFSH
        )
    })
}

fn is_fpu(i: &Instruction) -> bool {
    i.cpuid_features().iter().any(|f| {
        matches!(
            f,
            CpuidFeature::FPU | CpuidFeature::FPU287 | CpuidFeature::FPU387
        )
    })
}

fn lockable(i: &Instruction) -> bool {
    matches!(
        i.mnemonic(),
        Mnemonic::Add
            | Mnemonic::Adc
            | Mnemonic::And
            | Mnemonic::Btc
            | Mnemonic::Btr
            | Mnemonic::Bts
            | Mnemonic::Cmpxchg
            | Mnemonic::Cmpxchg8b
            | Mnemonic::Dec
            | Mnemonic::Inc
            | Mnemonic::Neg
            | Mnemonic::Not
            | Mnemonic::Or
            | Mnemonic::Sbb
            | Mnemonic::Sub
            | Mnemonic::Xor
            | Mnemonic::Xadd
            | Mnemonic::Xchg
    ) && kind(i, 0) == Kind::Mem
}

fn build<B: Bus>(i: &Instruction, addr32: bool) -> (Op<B>, bool) {
    let mut op = Op {
        exec: system::ud::<B>,
        disp: i.memory_displacement32(),
        imm: 0,
        imm2: 0,
        amask: if addr32 { u32::MAX } else { 0xFFFF },
        r0: 0,
        r1: 0,
        base: reg_index(i.memory_base()),
        index: reg_index(i.memory_index()),
        scale: i.memory_index_scale().trailing_zeros() as u8,
        seg: 3,
        len: i.len() as u8,
        aux: 0,
        code: i.code(),
    };
    if i.memory_segment() != Register::None {
        op.seg = i.memory_segment().number() as u8;
    }
    let next_ip = i.next_ip() as u32;
    let mut imms = 0;
    for n in 0..i.op_count() {
        match i.op_kind(n) {
            OpKind::Register => {
                let r = reg_index(i.op_register(n));
                if n == 0 {
                    op.r0 = r;
                } else if n == 1 {
                    op.r1 = r;
                }
            }
            OpKind::NearBranch16 | OpKind::NearBranch32 => {
                op.imm = (i.near_branch_target() as u32).wrapping_sub(next_ip);
            }
            OpKind::FarBranch16 | OpKind::FarBranch32 => {
                op.imm = if i.op_kind(n) == OpKind::FarBranch16 {
                    i.far_branch16() as u32
                } else {
                    i.far_branch32()
                };
                op.imm2 = i.far_branch_selector() as u32;
            }
            OpKind::Immediate8
            | OpKind::Immediate8_2nd
            | OpKind::Immediate16
            | OpKind::Immediate32
            | OpKind::Immediate8to16
            | OpKind::Immediate8to32 => {
                let v = i.immediate(n) as u32;
                if imms == 0 {
                    op.imm = v;
                } else {
                    op.imm2 = v;
                }
                imms += 1;
            }
            _ => {}
        }
    }
    if i.condition_code() != ConditionCode::None {
        op.aux = i.condition_code() as u8 - 1;
    }
    let ends = i.flow_control() != FlowControl::Next
        || matches!(
            i.mnemonic(),
            Mnemonic::Hlt
                | Mnemonic::Sti
                | Mnemonic::Popf
                | Mnemonic::Popfd
                | Mnemonic::Lmsw
                | Mnemonic::Sysenter
                | Mnemonic::Sysexit
        );
    op.exec = if i.is_invalid() {
        system::ud::<B>
    } else if is_fpu(i) || matches!(i.mnemonic(), Mnemonic::Fxsave | Mnemonic::Fxrstor) {
        if i.has_lock_prefix() {
            system::ud::<B>
        } else {
            crate::x87::select::<B>(i, &mut op)
        }
    } else if crate::simd::handles(i) {
        // MMX, SSE, SSE2, CLFLUSH (before the generic table: MOVSD and
        // CMPSD share mnemonics with the string instructions).
        if i.has_lock_prefix() {
            system::ud::<B>
        } else {
            crate::simd::select::<B>(i, &mut op)
        }
    } else if let Some(h) = legacy_alias::<B>(i, &mut op) {
        // Newer encodings that older processors execute as something else.
        h
    } else if !allowed(i) || (i.has_lock_prefix() && !lockable(i)) {
        system::ud::<B>
    } else {
        select::<B>(i, &mut op)
    };
    (op, ends)
}

/// Encodings that later extensions gave a meaning to but that a P6
/// executes as the older instruction: F3 0F BC/BD (TZCNT/LZCNT) are BSF/BSR
/// with an ignored REP prefix, F3 0F 1E FA/FB (ENDBR) are hint NOPs.
fn legacy_alias<B: Bus>(i: &Instruction, _op: &mut Op<B>) -> Option<Handler<B>> {
    let w0 = width(i, 0);
    let mem1 = kind(i, 1) == Kind::Mem;
    match i.mnemonic() {
        Mnemonic::Tzcnt | Mnemonic::Lzcnt => {
            let rev = i.mnemonic() == Mnemonic::Lzcnt;
            Some(bsf_h::<B>(w0, mem1, rev))
        }
        Mnemonic::Endbr32 | Mnemonic::Endbr64 => Some(system::nop::<B>),
        _ => None,
    }
}

/// The two-operand form from the operand kinds.
fn form(i: &Instruction) -> u8 {
    match (kind(i, 0), kind(i, 1)) {
        (Kind::Reg, Kind::Reg) => RR,
        (Kind::Reg, Kind::Mem) => RM,
        (Kind::Mem, Kind::Reg) => MR,
        (Kind::Reg, _) => RI,
        _ => MI,
    }
}

macro_rules! by_w {
    ($w:expr, $m:ident) => {
        match $w {
            8 => $m!(8),
            16 => $m!(16),
            _ => $m!(32),
        }
    };
}

macro_rules! by_w16 {
    ($w:expr, $m:ident) => {
        match $w {
            16 => $m!(16),
            _ => $m!(32),
        }
    };
}

macro_rules! by_form {
    ($f:expr, $m:ident) => {
        match $f {
            RR => $m!(RR),
            RM => $m!(RM),
            MR => $m!(MR),
            RI => $m!(RI),
            _ => $m!(MI),
        }
    };
}

fn alu_h<B: Bus, const OP: u8>(w: u32, f: u8) -> Handler<B> {
    macro_rules! inner {
        ($W:literal) => {{
            macro_rules! h {
                ($F:ident) => {
                    alu::alu::<B, OP, $W, $F> as Handler<B>
                };
            }
            by_form!(f, h)
        }};
    }
    by_w!(w, inner)
}

fn mov_h<B: Bus>(w: u32, f: u8) -> Handler<B> {
    macro_rules! inner {
        ($W:literal) => {{
            macro_rules! h {
                ($F:ident) => {
                    data::mov::<B, $W, $F> as Handler<B>
                };
            }
            by_form!(f, h)
        }};
    }
    by_w!(w, inner)
}

/// A one-operand handler family generic over width and memory-ness.
macro_rules! unary {
    ($w:expr, $mem:expr, $path:ident :: $f:ident $(, $extra:expr)*) => {{
        macro_rules! inner {
            ($W:literal) => {
                if $mem { $path::$f::<B, $W, true $(, $extra)*> as Handler<B> } else { $path::$f::<B, $W, false $(, $extra)*> as Handler<B> }
            };
        }
        by_w!($w, inner)
    }};
}

fn shift_h<B: Bus, const K: u8>(w: u32, mem: bool, cl: bool) -> Handler<B> {
    macro_rules! inner {
        ($W:literal) => {
            match (mem, cl) {
                (false, false) => shift::shift::<B, K, $W, false, { shift::BY_IMM }> as Handler<B>,
                (false, true) => shift::shift::<B, K, $W, false, { shift::BY_CL }>,
                (true, false) => shift::shift::<B, K, $W, true, { shift::BY_IMM }>,
                (true, true) => shift::shift::<B, K, $W, true, { shift::BY_CL }>,
            }
        };
    }
    by_w!(w, inner)
}

fn shxd_h<B: Bus, const LEFT: bool>(w: u32, mem: bool, cl: bool) -> Handler<B> {
    macro_rules! inner {
        ($W:literal) => {
            match (mem, cl) {
                (false, false) => {
                    shift::shxd::<B, LEFT, $W, false, { shift::BY_IMM }> as Handler<B>
                }
                (false, true) => shift::shxd::<B, LEFT, $W, false, { shift::BY_CL }>,
                (true, false) => shift::shxd::<B, LEFT, $W, true, { shift::BY_IMM }>,
                (true, true) => shift::shxd::<B, LEFT, $W, true, { shift::BY_CL }>,
            }
        };
    }
    by_w16!(w, inner)
}

/// BSF (`rev` false) or BSR; TZCNT/LZCNT run as these on this model.
fn bsf_h<B: Bus>(w: u32, mem: bool, rev: bool) -> Handler<B> {
    match (w, mem, rev) {
        (16, false, false) => bits::bsf::<B, false, 16, false>,
        (16, true, false) => bits::bsf::<B, false, 16, true>,
        (16, false, true) => bits::bsf::<B, true, 16, false>,
        (16, true, true) => bits::bsf::<B, true, 16, true>,
        (_, false, false) => bits::bsf::<B, false, 32, false>,
        (_, true, false) => bits::bsf::<B, false, 32, true>,
        (_, false, true) => bits::bsf::<B, true, 32, false>,
        (_, true, true) => bits::bsf::<B, true, 32, true>,
    }
}

fn bt_h<B: Bus, const K: u8>(w: u32, mem: bool, imm: bool) -> Handler<B> {
    macro_rules! inner {
        ($W:literal) => {
            match (mem, imm) {
                (false, false) => bits::bt::<B, K, $W, false, false> as Handler<B>,
                (false, true) => bits::bt::<B, K, $W, false, true>,
                (true, false) => bits::bt::<B, K, $W, true, false>,
                (true, true) => bits::bt::<B, K, $W, true, true>,
            }
        };
    }
    by_w16!(w, inner)
}

fn string_h<B: Bus, const K: u8>(w: u32, a32: bool, rep: u8) -> Handler<B> {
    macro_rules! inner {
        ($W:literal) => {
            match (a32, rep) {
                (false, string::REP_NONE) => {
                    string::string::<B, K, $W, 16, { string::REP_NONE }> as Handler<B>
                }
                (false, string::REP_E) => string::string::<B, K, $W, 16, { string::REP_E }>,
                (false, _) => string::string::<B, K, $W, 16, { string::REP_NE }>,
                (true, string::REP_NONE) => string::string::<B, K, $W, 32, { string::REP_NONE }>,
                (true, string::REP_E) => string::string::<B, K, $W, 32, { string::REP_E }>,
                (true, _) => string::string::<B, K, $W, 32, { string::REP_NE }>,
            }
        };
    }
    by_w!(w, inner)
}

fn loop_h<B: Bus, const KIND: u8>(w: u32, a32: bool) -> Handler<B> {
    match (w, a32) {
        (16, false) => control::loop_::<B, 16, 16, KIND>,
        (16, true) => control::loop_::<B, 16, 32, KIND>,
        (_, false) => control::loop_::<B, 32, 16, KIND>,
        (_, true) => control::loop_::<B, 32, 32, KIND>,
    }
}

fn branch_width(i: &Instruction) -> u32 {
    match i.op_kind(0) {
        OpKind::NearBranch16 | OpKind::FarBranch16 => 16,
        _ => 32,
    }
}

fn stack_width(i: &Instruction) -> u32 {
    if i.stack_pointer_increment().unsigned_abs() == 2 {
        16
    } else {
        32
    }
}

fn select<B: Bus>(i: &Instruction, op: &mut Op<B>) -> Handler<B> {
    use Mnemonic as M;
    let w0 = width(i, 0);
    let mem0 = kind(i, 0) == Kind::Mem;
    let mem1 = kind(i, 1) == Kind::Mem;
    let a32 = op.amask == u32::MAX;
    match i.mnemonic() {
        M::Add => alu_h::<B, { alu::ADD }>(w0, form(i)),
        M::Or => alu_h::<B, { alu::OR }>(w0, form(i)),
        M::Adc => alu_h::<B, { alu::ADC }>(w0, form(i)),
        M::Sbb => alu_h::<B, { alu::SBB }>(w0, form(i)),
        M::And => alu_h::<B, { alu::AND }>(w0, form(i)),
        M::Sub => alu_h::<B, { alu::SUB }>(w0, form(i)),
        M::Xor => alu_h::<B, { alu::XOR }>(w0, form(i)),
        M::Cmp => alu_h::<B, { alu::CMP }>(w0, form(i)),
        M::Test => alu_h::<B, { alu::TEST }>(w0, form(i)),
        M::Inc => unary!(w0, mem0, alu::incdec, false),
        M::Dec => unary!(w0, mem0, alu::incdec, true),
        M::Neg => unary!(w0, mem0, alu::neg),
        M::Not => unary!(w0, mem0, alu::not),

        M::Rol => shift_mnemonic::<B, { shift::ROL }>(i),
        M::Ror => shift_mnemonic::<B, { shift::ROR }>(i),
        M::Rcl => shift_mnemonic::<B, { shift::RCL }>(i),
        M::Rcr => shift_mnemonic::<B, { shift::RCR }>(i),
        M::Shl | M::Sal => shift_mnemonic::<B, { shift::SHL }>(i),
        M::Shr => shift_mnemonic::<B, { shift::SHR }>(i),
        M::Sar => shift_mnemonic::<B, { shift::SAR }>(i),
        M::Shld => shxd_h::<B, true>(w0, mem0, kind(i, 2) == Kind::Reg),
        M::Shrd => shxd_h::<B, false>(w0, mem0, kind(i, 2) == Kind::Reg),

        M::Mul => unary!(w0, mem0, muldiv::mul),
        M::Div => unary!(w0, mem0, muldiv::div),
        M::Idiv => unary!(w0, mem0, muldiv::idiv),
        M::Imul => match i.op_count() {
            1 => unary!(w0, mem0, muldiv::imul1),
            n => {
                op.aux = (n == 3) as u8;
                match (w0, mem1) {
                    (16, false) => muldiv::imul2::<B, 16, RR>,
                    (16, true) => muldiv::imul2::<B, 16, RM>,
                    (_, false) => muldiv::imul2::<B, 32, RR>,
                    (_, true) => muldiv::imul2::<B, 32, RM>,
                }
            }
        },

        M::Daa => bcd::daa::<B>,
        M::Das => bcd::das::<B>,
        M::Aaa => bcd::aaa::<B, false>,
        M::Aas => bcd::aaa::<B, true>,
        M::Aam => bcd::aam::<B>,
        M::Aad => bcd::aad::<B>,

        M::Bt => bt_h::<B, { bits::BT }>(w0, mem0, kind(i, 1) == Kind::Imm),
        M::Bts => bt_h::<B, { bits::BTS }>(w0, mem0, kind(i, 1) == Kind::Imm),
        M::Btr => bt_h::<B, { bits::BTR }>(w0, mem0, kind(i, 1) == Kind::Imm),
        M::Btc => bt_h::<B, { bits::BTC }>(w0, mem0, kind(i, 1) == Kind::Imm),
        M::Bsf | M::Bsr => {
            let rev = i.mnemonic() == M::Bsr;
            bsf_h::<B>(w0, mem1, rev)
        }

        M::Mov => select_mov::<B>(i, op, w0),
        M::Movzx | M::Movsx => {
            let s = width(i, 1);
            let sx = i.mnemonic() == M::Movsx;
            macro_rules! mx {
                ($W:literal, $S:literal) => {
                    match (sx, mem1) {
                        (false, false) => data::movzx::<B, $W, $S, false> as Handler<B>,
                        (false, true) => data::movzx::<B, $W, $S, true>,
                        (true, false) => data::movsx::<B, $W, $S, false>,
                        (true, true) => data::movsx::<B, $W, $S, true>,
                    }
                };
            }
            match (w0, s) {
                (16, 8) => mx!(16, 8),
                (16, _) => mx!(16, 16),
                (_, 8) => mx!(32, 8),
                _ => mx!(32, 16),
            }
        }
        M::Xchg
            if i.code() == Code::Xchg_rm16_r16
                && kind(i, 0) == Kind::Reg
                && i.op0_register() == Register::BX
                && i.op1_register() == Register::BX =>
        {
            crate::watch::magic_xchg::<B>
        }
        M::Xchg => {
            if kind(i, 1) == Kind::Mem {
                // Normalise to r/m first.
                op.r1 = op.r0;
            }
            unary!(w0.max(width(i, 1)), mem0 || mem1, data::xchg)
        }
        M::Lea => match w0 {
            16 => data::lea::<B, 16>,
            _ => data::lea::<B, 32>,
        },
        M::Lds | M::Les | M::Lfs | M::Lgs | M::Lss => {
            op.aux = match i.mnemonic() {
                M::Les => 0,
                M::Lss => 2,
                M::Lds => 3,
                M::Lfs => 4,
                _ => 5,
            };
            match w0 {
                16 => data::load_far::<B, 16>,
                _ => data::load_far::<B, 32>,
            }
        }
        M::Xlatb => data::xlat::<B>,
        M::Lahf => data::lahf::<B>,
        M::Sahf => data::sahf::<B>,
        M::Cbw => data::cbw::<B, 16>,
        M::Cwde => data::cbw::<B, 32>,
        M::Cwd => data::cwd::<B, 16>,
        M::Cdq => data::cwd::<B, 32>,
        M::Bswap => match w0 {
            16 => data::bswap::<B, 16>,
            _ => data::bswap::<B, 32>,
        },
        M::Seto
        | M::Setno
        | M::Setb
        | M::Setae
        | M::Sete
        | M::Setne
        | M::Setbe
        | M::Seta
        | M::Sets
        | M::Setns
        | M::Setp
        | M::Setnp
        | M::Setl
        | M::Setge
        | M::Setle
        | M::Setg => {
            if mem0 {
                data::setcc::<B, true>
            } else {
                data::setcc::<B, false>
            }
        }
        M::Salc => data::salc::<B>,
        M::Cmpxchg => unary!(w0, mem0, data::cmpxchg),
        M::Xadd => unary!(w0, mem0, data::xadd),
        M::Nop | M::Pause => system::nop::<B>,

        M::Push => select_push::<B>(i, op),
        M::Pop => select_pop::<B>(i, op),
        M::Pusha => stack::pusha::<B, 16>,
        M::Pushad => stack::pusha::<B, 32>,
        M::Popa => stack::popa::<B, 16>,
        M::Popad => stack::popa::<B, 32>,
        M::Pushf => stack::pushf::<B, 16>,
        M::Pushfd => stack::pushf::<B, 32>,
        M::Popf => stack::popf::<B, 16>,
        M::Popfd => stack::popf::<B, 32>,
        M::Enter => match i.code() {
            Code::Enterw_imm16_imm8 => stack::enter::<B, 16>,
            _ => stack::enter::<B, 32>,
        },
        M::Leave => match i.code() {
            Code::Leavew => stack::leave::<B, 16>,
            _ => stack::leave::<B, 32>,
        },

        M::Jmp => match i.op_kind(0) {
            OpKind::NearBranch16 => control::jmp_rel::<B, 16>,
            OpKind::NearBranch32 => control::jmp_rel::<B, 32>,
            OpKind::FarBranch16 => control::jmp_far::<B, 16>,
            OpKind::FarBranch32 => control::jmp_far::<B, 32>,
            _ => match (i.memory_size().size(), mem0) {
                (4, true) if i.memory_size().is_packed() || is_far(i) => {
                    control::jmp_far_m::<B, 16>
                }
                (6, true) => control::jmp_far_m::<B, 32>,
                (2, m) | (_, m) if w0 == 16 => {
                    if m {
                        control::jmp_rm::<B, 16, true>
                    } else {
                        control::jmp_rm::<B, 16, false>
                    }
                }
                (_, true) => control::jmp_rm::<B, 32, true>,
                (_, false) => control::jmp_rm::<B, 32, false>,
            },
        },
        M::Call => match i.op_kind(0) {
            OpKind::NearBranch16 => control::call_rel::<B, 16>,
            OpKind::NearBranch32 => control::call_rel::<B, 32>,
            OpKind::FarBranch16 => control::call_far::<B, 16>,
            OpKind::FarBranch32 => control::call_far::<B, 32>,
            _ => match (i.memory_size().size(), mem0) {
                (4, true) if is_far(i) => control::call_far_m::<B, 16>,
                (6, true) => control::call_far_m::<B, 32>,
                (_, m) if w0 == 16 => {
                    if m {
                        control::call_rm::<B, 16, true>
                    } else {
                        control::call_rm::<B, 16, false>
                    }
                }
                (_, true) => control::call_rm::<B, 32, true>,
                (_, false) => control::call_rm::<B, 32, false>,
            },
        },
        M::Ret => match i.code() {
            Code::Retnw | Code::Retnw_imm16 => control::ret_near::<B, 16>,
            _ => control::ret_near::<B, 32>,
        },
        M::Retf => match i.code() {
            Code::Retfw | Code::Retfw_imm16 => control::ret_far::<B, 16>,
            _ => control::ret_far::<B, 32>,
        },
        M::Jo
        | M::Jno
        | M::Jb
        | M::Jae
        | M::Je
        | M::Jne
        | M::Jbe
        | M::Ja
        | M::Js
        | M::Jns
        | M::Jp
        | M::Jnp
        | M::Jl
        | M::Jge
        | M::Jle
        | M::Jg => match branch_width(i) {
            16 => control::jcc::<B, 16>,
            _ => control::jcc::<B, 32>,
        },
        M::Loop => loop_h::<B, { control::LOOP }>(branch_width(i), a32),
        M::Loope => loop_h::<B, { control::LOOPE }>(branch_width(i), a32),
        M::Loopne => loop_h::<B, { control::LOOPNE }>(branch_width(i), a32),
        M::Jcxz | M::Jecxz => loop_h::<B, { control::JCXZ }>(branch_width(i), a32),
        M::Int => control::int_n::<B>,
        M::Int3 => {
            op.imm = 3;
            op.aux = 1;
            control::int_n::<B>
        }
        M::Int1 => {
            op.imm = 1;
            op.aux = 2;
            control::int_n::<B>
        }
        M::Into => control::into::<B>,
        M::Iret => control::iret::<B, 16>,
        M::Iretd => control::iret::<B, 32>,
        M::Bound => match w0 {
            16 => control::bound::<B, 16>,
            _ => control::bound::<B, 32>,
        },
        M::Hlt => control::hlt::<B>,

        M::Clc => system::flag_op::<B, { system::CLC }>,
        M::Stc => system::flag_op::<B, { system::STC }>,
        M::Cmc => system::flag_op::<B, { system::CMC }>,
        M::Cld => system::flag_op::<B, { system::CLD }>,
        M::Std => system::flag_op::<B, { system::STD }>,
        M::Cli => system::flag_op::<B, { system::CLI }>,
        M::Sti => system::flag_op::<B, { system::STI }>,

        M::Movsb | M::Movsw | M::Movsd if mem0 || kind(i, 0) == Kind::Mem => {
            string_h::<B, { string::MOVS }>(string_width(i), a32, rep_kind(i, false))
        }
        M::Cmpsb | M::Cmpsw | M::Cmpsd if mem0 => {
            string_h::<B, { string::CMPS }>(string_width(i), a32, rep_kind(i, true))
        }
        M::Scasb | M::Scasw | M::Scasd => {
            string_h::<B, { string::SCAS }>(string_width(i), a32, rep_kind(i, true))
        }
        M::Lodsb | M::Lodsw | M::Lodsd => {
            string_h::<B, { string::LODS }>(string_width(i), a32, rep_kind(i, false))
        }
        M::Stosb | M::Stosw | M::Stosd => {
            string_h::<B, { string::STOS }>(string_width(i), a32, rep_kind(i, false))
        }
        M::Insb | M::Insw | M::Insd => {
            string_h::<B, { string::INS }>(string_width(i), a32, rep_kind(i, false))
        }
        M::Outsb | M::Outsw | M::Outsd => {
            string_h::<B, { string::OUTS }>(string_width(i), a32, rep_kind(i, false))
        }

        M::In => {
            let w = width(i, 0);
            let imm = kind(i, 1) == Kind::Imm;
            macro_rules! h {
                ($W:literal) => {
                    if imm {
                        io::in_::<B, $W, true> as Handler<B>
                    } else {
                        io::in_::<B, $W, false>
                    }
                };
            }
            by_w!(w, h)
        }
        M::Out => {
            let w = width(i, 1);
            let imm = kind(i, 0) == Kind::Imm;
            macro_rules! h {
                ($W:literal) => {
                    if imm {
                        io::out::<B, $W, true> as Handler<B>
                    } else {
                        io::out::<B, $W, false>
                    }
                };
            }
            by_w!(w, h)
        }

        M::Cpuid => system::cpuid::<B>,
        M::Rdtsc => system::rdtsc::<B>,
        M::Wait => crate::x87::wait::<B>,
        M::Lgdt => match i.code() {
            Code::Lgdt_m1632_16 => system::lgdt_lidt::<B, 16, false>,
            _ => system::lgdt_lidt::<B, 32, false>,
        },
        M::Lidt => match i.code() {
            Code::Lidt_m1632_16 => system::lgdt_lidt::<B, 16, true>,
            _ => system::lgdt_lidt::<B, 32, true>,
        },
        M::Sgdt => system::sgdt_sidt::<B, 32, false>,
        M::Sidt => system::sgdt_sidt::<B, 32, true>,
        M::Smsw => match (mem0, w0) {
            (true, _) => system::smsw::<B, 16, true>,
            (false, 16) => system::smsw::<B, 16, false>,
            (false, _) => system::smsw::<B, 32, false>,
        },
        M::Lmsw => {
            if mem0 {
                system::lmsw::<B, true>
            } else {
                system::lmsw::<B, false>
            }
        }
        M::Clts => system::clts::<B>,
        M::Invd | M::Wbinvd => system::cache_op::<B, false>,
        M::Rdmsr => system::rdmsr::<B>,
        M::Wrmsr => system::wrmsr::<B>,
        M::Sysenter => system::sysenter::<B>,
        M::Sysexit => system::sysexit::<B>,
        M::Cmpxchg8b if mem0 => data::cmpxchg8b::<B>,
        M::Cmovo
        | M::Cmovno
        | M::Cmovb
        | M::Cmovae
        | M::Cmove
        | M::Cmovne
        | M::Cmovbe
        | M::Cmova
        | M::Cmovs
        | M::Cmovns
        | M::Cmovp
        | M::Cmovnp
        | M::Cmovl
        | M::Cmovge
        | M::Cmovle
        | M::Cmovg => match (w0, mem1) {
            (16, false) => data::cmov::<B, 16, false>,
            (16, true) => data::cmov::<B, 16, true>,
            (_, false) => data::cmov::<B, 32, false>,
            (_, true) => data::cmov::<B, 32, true>,
        },
        M::Sldt | M::Str => {
            op.aux = (i.mnemonic() == M::Str) as u8;
            match (mem0, w0) {
                (true, _) => segment::store_sys_sel::<B, 16, true>,
                (false, 16) => segment::store_sys_sel::<B, 16, false>,
                (false, _) => segment::store_sys_sel::<B, 32, false>,
            }
        }
        M::Lldt => {
            if mem0 {
                segment::lldt::<B, true>
            } else {
                segment::lldt::<B, false>
            }
        }
        M::Ltr => {
            if mem0 {
                segment::ltr::<B, true>
            } else {
                segment::ltr::<B, false>
            }
        }
        M::Lar | M::Lsl => {
            op.aux = (i.mnemonic() == M::Lsl) as u8;
            match (w0, mem1) {
                (16, false) => segment::lar_lsl::<B, 16, false>,
                (16, true) => segment::lar_lsl::<B, 16, true>,
                (_, false) => segment::lar_lsl::<B, 32, false>,
                (_, true) => segment::lar_lsl::<B, 32, true>,
            }
        }
        M::Verr | M::Verw => {
            op.aux = (i.mnemonic() == M::Verw) as u8;
            if mem0 {
                segment::verr_verw::<B, true>
            } else {
                segment::verr_verw::<B, false>
            }
        }
        M::Arpl => {
            if mem0 {
                segment::arpl::<B, true>
            } else {
                segment::arpl::<B, false>
            }
        }
        M::Invlpg => system::cache_op::<B, true>,
        _ => system::ud::<B>,
    }
}

/// A far indirect operand (m16:16 / m16:32).
fn is_far(i: &Instruction) -> bool {
    matches!(
        i.code(),
        Code::Jmp_m1616 | Code::Jmp_m1632 | Code::Call_m1616 | Code::Call_m1632
    )
}

fn string_width(i: &Instruction) -> u32 {
    match i.code() {
        Code::Movsb_m8_m8
        | Code::Cmpsb_m8_m8
        | Code::Scasb_AL_m8
        | Code::Lodsb_AL_m8
        | Code::Stosb_m8_AL
        | Code::Insb_m8_DX
        | Code::Outsb_DX_m8 => 8,
        Code::Movsw_m16_m16
        | Code::Cmpsw_m16_m16
        | Code::Scasw_AX_m16
        | Code::Lodsw_AX_m16
        | Code::Stosw_m16_AX
        | Code::Insw_m16_DX
        | Code::Outsw_DX_m16 => 16,
        _ => 32,
    }
}

/// REP kind: for CMPS/SCAS F3 is REPE and F2 REPNE; elsewhere either is REP.
fn rep_kind(i: &Instruction, compare: bool) -> u8 {
    if i.has_repne_prefix() {
        if compare {
            string::REP_NE
        } else {
            string::REP_E
        }
    } else if i.has_rep_prefix() || i.has_repe_prefix() {
        string::REP_E
    } else {
        string::REP_NONE
    }
}

fn shift_mnemonic<B: Bus, const K: u8>(i: &Instruction) -> Handler<B> {
    let cl = kind(i, 1) == Kind::Reg;
    shift_h::<B, K>(width(i, 0), kind(i, 0) == Kind::Mem, cl)
}

fn select_mov<B: Bus>(i: &Instruction, op: &mut Op<B>, w0: u32) -> Handler<B> {
    let k0 = kind(i, 0);
    let k1 = kind(i, 1);
    let r0 = if k0 == Kind::Reg {
        i.op_register(0)
    } else {
        Register::None
    };
    let r1 = if k1 == Kind::Reg {
        i.op_register(1)
    } else {
        Register::None
    };
    if r0.is_segment_register() {
        if r0 == Register::CS {
            return system::ud::<B>;
        }
        return if k1 == Kind::Mem {
            data::mov_sreg_load::<B, true>
        } else {
            data::mov_sreg_load::<B, false>
        };
    }
    if r1.is_segment_register() {
        return match (k0 == Kind::Mem, w0) {
            (true, _) => data::mov_sreg_store::<B, 16, true>,
            (false, 16) => data::mov_sreg_store::<B, 16, false>,
            (false, _) => data::mov_sreg_store::<B, 32, false>,
        };
    }
    if r0.is_cr() {
        op.aux = op.r0;
        return system::mov_cr_r::<B>;
    }
    if r1.is_cr() {
        op.aux = op.r1;
        return system::mov_r_cr::<B>;
    }
    if r0.is_dr() {
        op.aux = op.r0;
        return system::mov_dr_r::<B>;
    }
    if r1.is_dr() {
        op.aux = op.r1;
        return system::mov_r_dr::<B>;
    }
    if r0.is_tr() || r1.is_tr() {
        return system::ud::<B>;
    }
    mov_h::<B>(w0, form(i))
}

fn select_push<B: Bus>(i: &Instruction, op: &mut Op<B>) -> Handler<B> {
    let w = stack_width(i);
    match kind(i, 0) {
        Kind::Reg if i.op_register(0).is_segment_register() => match w {
            16 => stack::push_sreg::<B, 16>,
            _ => stack::push_sreg::<B, 32>,
        },
        Kind::Reg => match w {
            16 => stack::push_r::<B, 16>,
            _ => stack::push_r::<B, 32>,
        },
        Kind::Mem => match w {
            16 => stack::push_m::<B, 16>,
            _ => stack::push_m::<B, 32>,
        },
        _ => {
            if w == 16 {
                op.imm &= 0xFFFF;
                stack::push_i::<B, 16>
            } else {
                stack::push_i::<B, 32>
            }
        }
    }
}

fn select_pop<B: Bus>(i: &Instruction, _op: &mut Op<B>) -> Handler<B> {
    let w = stack_width(i);
    match kind(i, 0) {
        Kind::Reg if i.op_register(0) == Register::CS => system::ud::<B>,
        Kind::Reg if i.op_register(0).is_segment_register() => match w {
            16 => stack::pop_sreg::<B, 16>,
            _ => stack::pop_sreg::<B, 32>,
        },
        Kind::Reg => match w {
            16 => stack::pop_r::<B, 16>,
            _ => stack::pop_r::<B, 32>,
        },
        _ => match w {
            16 => stack::pop_m::<B, 16>,
            _ => stack::pop_m::<B, 32>,
        },
    }
}
