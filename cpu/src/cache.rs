//! The decoded-block cache, keyed by host memory offset.
//!
//! Each 4 KiB page that holds code gets a `PageCode`: an offset-to-block
//! index, each block's byte span, and a bitmap of the 128-byte lines its
//! blocks cover. A write that hits a covered line is checked against the
//! spans: if it changes bytes some block was decoded from, the whole page's
//! blocks are dropped; data that merely shares a line with code (a BIOS
//! stack or variable next to its code) drops nothing. Writes elsewhere in
//! the page only cost the slow write path. Blocks are shared through `Rc`
//! so the one running keeps living if its own page is invalidated under it.

use std::rc::Rc;

use crate::bus::Bus;
use crate::op::Op;

pub(crate) struct Block<B: Bus> {
    pub ops: Box<[Op<B>]>,
    /// The decoding mode the ops were made for (see `Cpu::decode_mode`).
    pub mode: u8,
    /// How many code bytes the ops cover, for the CS limit check.
    pub bytes: u32,
}

struct PageCode<B: Bus> {
    /// One bit per 128-byte line that some block's bytes touch.
    lines: u32,
    /// Block number + 1 for each offset in the page where a block starts.
    index: Box<[u16; 4096]>,
    blocks: Vec<Rc<Block<B>>>,
    /// First and last page offset of each block's bytes (same order).
    spans: Vec<(u16, u16)>,
}

impl<B: Bus> PageCode<B> {
    /// Whether any block was decoded from a byte in `lo..=hi`.
    fn overlaps(&self, lo: usize, hi: usize) -> bool {
        self.spans
            .iter()
            .any(|&(a, b)| (a as usize) <= hi && lo <= b as usize)
    }
}

pub(crate) struct CodeCache<B: Bus> {
    /// Bumped whenever blocks are dropped, so the jump cache knows its
    /// entries are stale.
    pub gen: u64,
    /// How many writes dropped cached code (a work counter).
    pub invalidations: u64,
    pages: Vec<Option<Box<PageCode<B>>>>,
    /// Pages currently holding a `PageCode`, so a full flush is cheap.
    live: Vec<usize>,
}

impl<B: Bus> CodeCache<B> {
    pub fn new() -> Self {
        CodeCache {
            gen: 0,
            invalidations: 0,
            pages: Vec::new(),
            live: Vec::new(),
        }
    }

    #[inline(always)]
    pub fn lookup(&self, host: usize, mode: u8) -> Option<Rc<Block<B>>> {
        let page = self.pages.get(host >> 12)?.as_ref()?;
        let n = page.index[host & 0xFFF];
        if n == 0 {
            return None;
        }
        let b = page.blocks.get(n as usize - 1)?;
        (b.mode == mode).then(|| b.clone())
    }

    /// Caches a block whose bytes are `host..host + bytes` (within one page).
    /// Returns true when the page did not hold code before.
    pub fn insert(&mut self, host: usize, bytes: usize, block: Rc<Block<B>>) -> bool {
        let p = host >> 12;
        if self.pages.len() <= p {
            self.pages.resize_with(p + 1, || None);
        }
        let mut new_page = false;
        let page = self.pages[p].get_or_insert_with(|| {
            new_page = true;
            Box::new(PageCode {
                lines: 0,
                index: Box::new([0; 4096]),
                blocks: Vec::new(),
                spans: Vec::new(),
            })
        });
        if new_page {
            self.live.push(p);
        }
        let start = host & 0xFFF;
        let end = (start + bytes.max(1) - 1).min(0xFFF);
        for line in (start >> 7)..=(end >> 7) {
            page.lines |= 1 << line;
        }
        let span = (start as u16, end as u16);
        match page.index[start] {
            0 => {
                page.blocks.push(block);
                page.spans.push(span);
                page.index[start] = page.blocks.len() as u16;
            }
            n => {
                page.blocks[n as usize - 1] = block;
                page.spans[n as usize - 1] = span;
            }
        }
        new_page
    }

    #[inline(always)]
    pub fn page_has_code(&self, host: usize) -> bool {
        matches!(self.pages.get(host >> 12), Some(Some(_)))
    }

    /// Drops the blocks of every page where the range overlaps bytes some
    /// block was decoded from. Returns true if anything was dropped.
    pub fn invalidate_range(&mut self, host: usize, len: usize) -> bool {
        if len == 0 {
            return false;
        }
        let mut dropped = false;
        let last = host + len - 1;
        for p in (host >> 12)..=(last >> 12) {
            let Some(Some(page)) = self.pages.get(p) else {
                continue;
            };
            let lo = if p == host >> 12 { host & 0xFFF } else { 0 };
            let hi = if p == last >> 12 { last & 0xFFF } else { 0xFFF };
            let mut mask = 0u32;
            for line in (lo >> 7)..=(hi >> 7) {
                mask |= 1 << line;
            }
            if page.lines & mask != 0 && page.overlaps(lo, hi) {
                self.pages[p] = None;
                dropped = true;
            }
        }
        if dropped {
            self.invalidations += 1;
            self.gen = self.gen.wrapping_add(1);
            let pages = &self.pages;
            self.live.retain(|&p| matches!(pages.get(p), Some(Some(_))));
        }
        dropped
    }

    pub fn flush_all(&mut self) {
        self.gen = self.gen.wrapping_add(1);
        for p in self.live.drain(..) {
            if let Some(slot) = self.pages.get_mut(p) {
                *slot = None;
            }
        }
    }
}
