/**
 * The lifetime of a gpu.js run's textures (as tfjs's TextureManager is its backend's). Kernels
 * are pipelined and immutable, so a kernel returns new textures and the old ones stay valid:
 * - a phase's outputs are pending until the whole phase is queued, then committed; a phase that
 *   fails on the host part way (a kernel gpu.js rejects or runs elsewhere) drops them. Whether
 *   the committed textures hold new values or copies of the old ones is the device's decision
 *   (a refused step's store programs copy: format/abi_gpujs.ts);
 * - every kernel of a pass reads the arenas as they were when the pass began (the fuser may
 *   split a pass into several kernels over the same inputs);
 * - a cycle of phases keeps the textures it may restore alive (pinned) instead of copying them.
 * A texture is freed once nothing can read it again.
 */

/** A gpu.js texture (WebGL kernels) or a 2-D array of rows (cpu kernels). */
export type Tex = { delete?(): void; toArray?(): ArrayLike<ArrayLike<number>> } | ArrayLike<ArrayLike<number>>;

export function release(t: Tex | undefined): void {
  if (t && "delete" in t && typeof t.delete === "function") t.delete();
}

/** Every arena's textures, one per page. */
export class ArenaTextures {
  private readonly committed = new Map<string, Tex[]>();
  /** Outputs of the running phase, committed when it is queued. */
  private pending = new Map<string, Tex[]>();
  /** The arenas as they were when the running pass began. */
  private passInputs: Map<string, Tex[]> | undefined;
  /** Textures that must outlive a commit (a cycle's saved state). */
  private readonly pinned = new Set<Tex>();

  has(name: string): boolean {
    return this.committed.has(name);
  }

  /** The committed textures of every arena. */
  all(): Record<string, readonly Tex[]> {
    return Object.fromEntries(this.committed);
  }

  /** An arena's latest textures (the running phase's outputs where it wrote them). */
  current(name: string): Tex[] {
    const t = this.pending.get(name) ?? this.committed.get(name);
    if (!t) throw new Error(`internal: no arena ${name}`);
    return t;
  }

  /** What a kernel of the running pass reads: the arena as it was when the pass began. */
  input(name: string): Tex[] {
    return this.passInputs?.get(name) ?? this.current(name);
  }

  beginPass(): void {
    this.passInputs = new Map([...this.committed.keys()].map((name) => [name, [...this.current(name)]]));
  }

  /** The phase's passes are done: reads see its outputs again (the checks after a phase). */
  endPasses(): void {
    this.passInputs = undefined;
  }

  /** A kernel's output for page p of an arena, pending until commit(). */
  write(name: string, page: number, t: Tex): void {
    let pages = this.pending.get(name);
    if (!pages) this.pending.set(name, (pages = [...this.current(name)]));
    // A texture an earlier pass of this phase wrote is garbage now; the committed one stays
    // until commit() (it may be a cycle's saved state, or needed by abandon()).
    const old = pages[page];
    if (old !== this.committed.get(name)?.[page] && !this.readByPass(old)) release(old);
    pages[page] = t;
  }

  private readByPass(t: Tex): boolean {
    for (const pages of this.passInputs?.values() ?? []) if (pages.includes(t)) return true;
    return false;
  }

  /** The phase's new textures become the arenas; the old ones are freed unless a cycle holds them. */
  commit(): void {
    for (const [arena, pages] of this.pending) {
      this.committed.get(arena)!.forEach((t, p) => {
        if (t !== pages[p] && !this.pinned.has(t)) release(t);
      });
      this.committed.set(arena, pages);
    }
    this.pending = new Map();
    this.passInputs = undefined;
  }

  /** Drops the outputs of a phase that failed part way. */
  abandon(): void {
    for (const [arena, pages] of this.pending) {
      const old = this.committed.get(arena)!;
      pages.forEach((t, p) => {
        if (t !== old[p]) release(t);
      });
    }
    this.pending = new Map();
    this.passInputs = undefined;
  }

  /** Replaces an arena's textures outright (an upload, or an initial value). */
  replace(name: string, next: Tex[]): void {
    for (const t of this.committed.get(name) ?? []) if (!this.pinned.has(t)) release(t);
    this.committed.set(name, next);
  }

  /** Keeps arenas' current textures alive for a cycle: restore() makes them the arenas again. */
  save(arenas: string[]): { restore(): void; release(): void } {
    const saved = arenas.map((a) => [a, this.committed.get(a)!] as const);
    for (const [, pages] of saved) pages.forEach((t) => this.pinned.add(t));
    return {
      restore: () => {
        for (const [a, pages] of saved) {
          const keep = new Set(pages);
          for (const t of this.committed.get(a) ?? []) if (!keep.has(t)) release(t);
          this.committed.set(a, pages);
        }
      },
      release: () => {
        for (const [a, pages] of saved) {
          const live = new Set(this.committed.get(a));
          pages.forEach((t) => {
            this.pinned.delete(t);
            if (!live.has(t)) release(t);
          });
        }
      },
    };
  }

  /** Frees every texture. */
  releaseAll(): void {
    this.abandon();
    for (const pages of this.committed.values()) pages.forEach(release);
    this.committed.clear();
  }
}
