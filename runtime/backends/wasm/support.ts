/**
 * Whether this engine runs the wasm target: WebAssembly with SIMD (a module whose one function
 * returns a v128 constant validates). compile() without a target picks wasm where it does.
 */

/** (module (func (result v128) (v128.const i32x4 0 0 0 0))) */
const SIMD_PROBE = Uint8Array.of(
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  // type section: one type, () -> v128
  ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b],
  // function section: one function of type 0
  ...[0x03, 0x02, 0x01, 0x00],
  // code section: one body of 20 bytes: no locals, v128.const (0xfd 0x0c) and 16 zero bytes, end
  ...[0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0x0b],
);

let supported: boolean | undefined;

export function wasmSimdSupported(): boolean {
  if (supported === undefined) {
    try {
      supported = typeof WebAssembly === "object" && typeof WebAssembly.validate === "function" && WebAssembly.validate(SIMD_PROBE);
    } catch {
      supported = false;
    }
  }
  return supported;
}
