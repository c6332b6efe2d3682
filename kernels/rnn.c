/*
 * Fused LSTM / GRU kernels for WebAssembly SIMD (wasm32 + simd128).
 *
 * Every exported function works on f32 buffers that the caller (src/model/fast/mod.ts) lays out
 * in this module's linear memory; nothing here allocates. Semantics follow tfjs-layers 4.22
 * exactly: LSTM gates i, f, c, o with kernel [I, 4U], recurrent kernel [U, 4U], bias [4U];
 * GRU (resetAfter = false, the only mode tfjs supports) gates z, r, h with kernel [I, 3U],
 * recurrent kernel [U, 3U], bias [3U]; zero initial state; hard sigmoid = clip(0.2x + 0.5, 0, 1).
 * Sequences are batch-major [B, T, F] like tfjs tensors.
 *
 * Design note: why C + clang rather than AssemblyScript.
 *  - Debian's clang ships the wasm32 target and <wasm_simd128.h>; the intrinsics map one to one
 *    onto wasm SIMD opcodes, and clang's -O3 unrolls and schedules the 4x8 register-blocked GEMM
 *    micro-kernel below well. AssemblyScript has SIMD builtins too, but its optimiser (Binaryen
 *    only, no LLVM loop passes) leaves more to hand-unrolling and it needs a node toolchain from
 *    npm at build time, while the repository otherwise has no node_modules build step.
 *  - -nostdlib -Wl,--no-entry gives a ~10 KB module with no runtime, no allocator and no imports,
 *    so the TS side instantiates it synchronously and owns the memory layout.
 *  - The cost: C needs its own math: Cephes expf/tanhf polynomials (~1 ulp) for the scalar
 *    paths, and a four-lane exp and rational tanh (max error 3.3e-7) for the gate loops.
 *
 * Two builds of this one source (kernels/build.sh, clang 19): rnn.wasm with plain SIMD, where every
 * multiply and add rounds separately (the same bits on every machine), and rnn_relaxed.wasm with
 * -mrelaxed-simd, where the hot loops (GEMM micro-kernels, the polynomial Horner steps, the cell
 * updates) use f32x4.relaxed_madd: the runtime may fuse it into one FMA (V8 does where the CPU
 * has FMA), so results are reproducible per machine and runtime, and differ from the plain build
 * by float rounding only. Code that must match tfjs bit for bit where it can (the Adam step,
 * scalar paths) never uses MADD, and -ffp-contract=off keeps the compiler from fusing anything
 * on its own.
 */
#include <wasm_simd128.h>

#ifdef __wasm_relaxed_simd__
/* a * b + c, possibly fused (one rounding). */
#define MADD(a, b, c) wasm_f32x4_relaxed_madd((a), (b), (c))
#else
/* a * b + c with two roundings (addition is commutative bit for bit, so this is c + a * b). */
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul((a), (b)), (c))
#endif

typedef __SIZE_TYPE__ size_t;

#define ACT_SIGMOID 0
#define ACT_HARD_SIGMOID 1

/* ---------------------------------------------------------------- math */

static inline float floorf_(float x) { return __builtin_floorf(x); }

static inline float expf_(float x) {
  if (x > 88.0f) x = 88.0f;
  if (x < -87.0f) x = -87.0f;
  float z = floorf_(1.44269504088896341f * x + 0.5f);
  int n = (int)z;
  x -= z * 0.693359375f;
  x -= z * -2.12194440e-4f;
  float xx = x * x;
  float y = ((((1.9875691500E-4f * x + 1.3981999507E-3f) * x + 8.3334519073E-3f) * x +
              4.1665795894E-2f) * x + 1.6666665459E-1f) * x + 5.0000001201E-1f;
  y = y * xx + x + 1.0f;
  union { float f; int i; } u;
  u.i = (n + 127) << 23;
  return y * u.f;
}

static inline float tanhf_(float x) {
  float ax = x < 0 ? -x : x;
  if (ax > 0.625f) {
    float e = expf_(2.0f * ax);
    float t = 1.0f - 2.0f / (e + 1.0f);
    return x < 0 ? -t : t;
  }
  float z = x * x;
  return ((((-5.70498872745E-3f * z + 2.06390887954E-2f) * z - 5.37397155531E-2f) * z +
           1.33314422036E-1f) * z - 3.33332819422E-1f) * z * x + x;
}

static inline float sigmoidf_(float x) { return 1.0f / (1.0f + expf_(-x)); }

/* Four-lane math for the gate loops. v_exp is the Cephes polynomial with the exponent rounded to
 * nearest instead of floor(x + 0.5) (both exact range reductions); v_tanh is rational, below. */

#define SPLAT(v) wasm_f32x4_splat(v)

static inline v128_t v_exp(v128_t x) {
  /* Round-to-nearest through the 1.5 * 2^23 trick: the integer lands in the low mantissa bits,
   * which also gives 2^n without a float-to-int conversion. */
  const v128_t magic = SPLAT(12582912.0f);
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, SPLAT(-87.0f)), SPLAT(88.0f));
  /* The range reduction keeps separate roundings: its exactness argument needs them. */
  v128_t t = wasm_f32x4_add(wasm_f32x4_mul(SPLAT(1.44269504088896341f), x), magic);
  v128_t z = wasm_f32x4_sub(t, magic);
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(z, SPLAT(0.693359375f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(z, SPLAT(-2.12194440e-4f)));
  v128_t xx = wasm_f32x4_mul(x, x);
  v128_t y = MADD(SPLAT(1.9875691500E-4f), x, SPLAT(1.3981999507E-3f));
  y = MADD(y, x, SPLAT(8.3334519073E-3f));
  y = MADD(y, x, SPLAT(4.1665795894E-2f));
  y = MADD(y, x, SPLAT(1.6666665459E-1f));
  y = MADD(y, x, SPLAT(5.0000001201E-1f));
  y = wasm_f32x4_add(MADD(y, xx, x), SPLAT(1.0f));
  v128_t p2 = wasm_i32x4_shl(wasm_i32x4_add(t, wasm_i32x4_splat(127 - 0x4B400000)), 23);
  return wasm_f32x4_mul(y, p2);
}

/*
 * tanh as a 13/6 rational function on [-7.905, 7.905] (the coefficients of Eigen's
 * generic_fast_tanh_float): max error 3.3e-7 against tanh, half the operations of exp + divide.
 */
static inline v128_t v_tanh(v128_t a) {
  v128_t x = wasm_f32x4_pmin(wasm_f32x4_pmax(a, SPLAT(-7.90531110763549805f)),
                            SPLAT(7.90531110763549805f));
  v128_t x2 = wasm_f32x4_mul(x, x);
  v128_t p = MADD(x2, SPLAT(-2.76076847742355e-16f), SPLAT(2.00018790482477e-13f));
  p = MADD(x2, p, SPLAT(-8.60467152213735e-11f));
  p = MADD(x2, p, SPLAT(5.12229709037114e-08f));
  p = MADD(x2, p, SPLAT(1.48572235717979e-05f));
  p = MADD(x2, p, SPLAT(6.37261928875436e-04f));
  p = MADD(x2, p, SPLAT(4.89352455891786e-03f));
  p = wasm_f32x4_mul(x, p);
  v128_t q = MADD(x2, SPLAT(1.19825839466702e-06f), SPLAT(1.18534705686654e-04f));
  q = MADD(x2, q, SPLAT(2.26843463243900e-03f));
  q = MADD(x2, q, SPLAT(4.89352518554385e-03f));
  v128_t tiny = wasm_f32x4_lt(wasm_f32x4_abs(a), SPLAT(0.0004f));
  return wasm_v128_bitselect(x, wasm_f32x4_div(p, q), tiny);
}

static inline v128_t v_rec_act(v128_t x, int act) {
  if (act == ACT_HARD_SIGMOID) {
    v128_t y = MADD(SPLAT(0.2f), x, SPLAT(0.5f));
    return wasm_f32x4_pmin(wasm_f32x4_pmax(y, SPLAT(0.0f)), SPLAT(1.0f));
  }
  return wasm_f32x4_div(SPLAT(1.0f), wasm_f32x4_add(SPLAT(1.0f), v_exp(wasm_f32x4_neg(x))));
}

static inline v128_t v_rec_act_grad(v128_t s, int act) {
  if (act == ACT_HARD_SIGMOID) {
    v128_t inside = wasm_v128_and(wasm_f32x4_gt(s, SPLAT(0.0f)), wasm_f32x4_lt(s, SPLAT(1.0f)));
    return wasm_v128_and(inside, SPLAT(0.2f));
  }
  return wasm_f32x4_mul(s, wasm_f32x4_sub(SPLAT(1.0f), s));
}

/*
 * Loads / stores of n <= 4 lanes (the tail of a row whose length is not a multiple of 4), with
 * lane loads and stores (no bounce through the stack); unused lanes load as zero.
 */
static inline v128_t ld(const float *p, int n) {
  if (n == 4) return wasm_v128_load(p);
  if (n == 2) return wasm_v128_load64_zero(p);
  if (n == 1) return wasm_v128_load32_zero(p);
  return wasm_v128_load32_lane(p + 2, wasm_v128_load64_zero(p), 2);
}

static inline void st(float *p, v128_t v, int n) {
  if (n == 4) {
    wasm_v128_store(p, v);
    return;
  }
  if (n >= 2) wasm_v128_store64_lane(p, v, 0);
  if (n == 1) wasm_v128_store32_lane(p, v, 0);
  if (n == 3) wasm_v128_store32_lane(p + 2, v, 2);
}

#define LANES(j, U) ((U) - (j) < 4 ? (U) - (j) : 4)

/* ---------------------------------------------------------------- GEMM */

/*
 * C[m, n] (+)= sum_k A(m, k) * B[k * ldb + n], A(m, k) = A[m * ars + k * acs].
 * Strided A covers A, A^T and time-strided rows of [B, T, F] sequences; B has unit-stride rows.
 * Register block: 4 rows x 8 columns (8 v128 accumulators).
 */
static void gemm_panel(int M, int N, int K, const float *A, int ars, int acs, const float *B,
                       int ldb, float *C, int ldc, int accumulate);

/* Rows of B per pass (KC x N floats stay in L2 while every row block of A streams past them). */
#define KC 256

static void gemm(int M, int N, int K, const float *A, int ars, int acs, const float *B, int ldb,
                 float *C, int ldc, int accumulate) {
  /* Without blocking, a long K (the B * T rows of a weight gradient) streams all of B from
   * memory once per 4 rows of C; in passes of KC rows it is read from cache instead. */
  for (int k0 = 0; k0 < K || k0 == 0; k0 += KC) {
    int kc = K - k0 < KC ? K - k0 : KC;
    gemm_panel(M, N, kc, A + (size_t)k0 * acs, ars, acs, B + (size_t)k0 * ldb, ldb, C, ldc,
               accumulate || k0 > 0);
  }
}

static void gemm_panel(int M, int N, int K, const float *A, int ars, int acs, const float *B,
                       int ldb, float *C, int ldc, int accumulate) {
  int m = 0;
  for (; m + 4 <= M; m += 4) {
    const float *a0 = A + (size_t)m * ars, *a1 = a0 + ars, *a2 = a1 + ars, *a3 = a2 + ars;
    float *c0 = C + (size_t)m * ldc, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
    int n = 0;
    for (; n + 8 <= N; n += 8) {
      v128_t s00, s01, s10, s11, s20, s21, s30, s31;
      if (accumulate) {
        s00 = wasm_v128_load(c0 + n); s01 = wasm_v128_load(c0 + n + 4);
        s10 = wasm_v128_load(c1 + n); s11 = wasm_v128_load(c1 + n + 4);
        s20 = wasm_v128_load(c2 + n); s21 = wasm_v128_load(c2 + n + 4);
        s30 = wasm_v128_load(c3 + n); s31 = wasm_v128_load(c3 + n + 4);
      } else {
        s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = wasm_f32x4_splat(0.0f);
      }
      const float *b = B + n;
      for (int k = 0; k < K; k++, b += ldb) {
        v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
        size_t ko = (size_t)k * acs;
        v128_t x0 = wasm_f32x4_splat(a0[ko]);
        s00 = MADD(x0, b0, s00);
        s01 = MADD(x0, b1, s01);
        v128_t x1 = wasm_f32x4_splat(a1[ko]);
        s10 = MADD(x1, b0, s10);
        s11 = MADD(x1, b1, s11);
        v128_t x2 = wasm_f32x4_splat(a2[ko]);
        s20 = MADD(x2, b0, s20);
        s21 = MADD(x2, b1, s21);
        v128_t x3 = wasm_f32x4_splat(a3[ko]);
        s30 = MADD(x3, b0, s30);
        s31 = MADD(x3, b1, s31);
      }
      wasm_v128_store(c0 + n, s00); wasm_v128_store(c0 + n + 4, s01);
      wasm_v128_store(c1 + n, s10); wasm_v128_store(c1 + n + 4, s11);
      wasm_v128_store(c2 + n, s20); wasm_v128_store(c2 + n + 4, s21);
      wasm_v128_store(c3 + n, s30); wasm_v128_store(c3 + n + 4, s31);
    }
    for (; n + 4 <= N; n += 4) {
      v128_t s0, s1, s2, s3;
      if (accumulate) {
        s0 = wasm_v128_load(c0 + n); s1 = wasm_v128_load(c1 + n);
        s2 = wasm_v128_load(c2 + n); s3 = wasm_v128_load(c3 + n);
      } else {
        s0 = s1 = s2 = s3 = wasm_f32x4_splat(0.0f);
      }
      const float *b = B + n;
      for (int k = 0; k < K; k++, b += ldb) {
        v128_t b0 = wasm_v128_load(b);
        size_t ko = (size_t)k * acs;
        s0 = MADD(wasm_f32x4_splat(a0[ko]), b0, s0);
        s1 = MADD(wasm_f32x4_splat(a1[ko]), b0, s1);
        s2 = MADD(wasm_f32x4_splat(a2[ko]), b0, s2);
        s3 = MADD(wasm_f32x4_splat(a3[ko]), b0, s3);
      }
      wasm_v128_store(c0 + n, s0); wasm_v128_store(c1 + n, s1);
      wasm_v128_store(c2 + n, s2); wasm_v128_store(c3 + n, s3);
    }
    for (; n < N; n++) {
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (int k = 0; k < K; k++) {
        float bv = B[(size_t)k * ldb + n];
        size_t ko = (size_t)k * acs;
        s0 += a0[ko] * bv; s1 += a1[ko] * bv; s2 += a2[ko] * bv; s3 += a3[ko] * bv;
      }
      if (accumulate) { c0[n] += s0; c1[n] += s1; c2[n] += s2; c3[n] += s3; }
      else { c0[n] = s0; c1[n] = s1; c2[n] = s2; c3[n] = s3; }
    }
  }
  for (; m < M; m++) {
    const float *a0 = A + (size_t)m * ars;
    float *c0 = C + (size_t)m * ldc;
    int n = 0;
    /* A single row (a one-sequence prediction's recurrence): 8 independent accumulators hide
     * the multiply-add latency that 4 would wait on. Each C[m, n] sums over k in the same order
     * as below, so the bits do not depend on which pass computes it. */
    for (; n + 32 <= N; n += 32) {
      v128_t s[8];
      for (int i = 0; i < 8; i++) {
        s[i] = accumulate ? wasm_v128_load(c0 + n + 4 * i) : wasm_f32x4_splat(0.0f);
      }
      const float *b = B + n;
      for (int k = 0; k < K; k++, b += ldb) {
        v128_t x0 = wasm_f32x4_splat(a0[(size_t)k * acs]);
        for (int i = 0; i < 8; i++) s[i] = MADD(x0, wasm_v128_load(b + 4 * i), s[i]);
      }
      for (int i = 0; i < 8; i++) wasm_v128_store(c0 + n + 4 * i, s[i]);
    }
    for (; n + 16 <= N; n += 16) {
      v128_t s0, s1, s2, s3;
      if (accumulate) {
        s0 = wasm_v128_load(c0 + n); s1 = wasm_v128_load(c0 + n + 4);
        s2 = wasm_v128_load(c0 + n + 8); s3 = wasm_v128_load(c0 + n + 12);
      } else {
        s0 = s1 = s2 = s3 = wasm_f32x4_splat(0.0f);
      }
      const float *b = B + n;
      for (int k = 0; k < K; k++, b += ldb) {
        v128_t x0 = wasm_f32x4_splat(a0[(size_t)k * acs]);
        s0 = MADD(x0, wasm_v128_load(b), s0);
        s1 = MADD(x0, wasm_v128_load(b + 4), s1);
        s2 = MADD(x0, wasm_v128_load(b + 8), s2);
        s3 = MADD(x0, wasm_v128_load(b + 12), s3);
      }
      wasm_v128_store(c0 + n, s0); wasm_v128_store(c0 + n + 4, s1);
      wasm_v128_store(c0 + n + 8, s2); wasm_v128_store(c0 + n + 12, s3);
    }
    for (; n + 4 <= N; n += 4) {
      v128_t s0 = accumulate ? wasm_v128_load(c0 + n) : wasm_f32x4_splat(0.0f);
      const float *b = B + n;
      for (int k = 0; k < K; k++, b += ldb) {
        s0 = MADD(wasm_f32x4_splat(a0[(size_t)k * acs]), wasm_v128_load(b), s0);
      }
      wasm_v128_store(c0 + n, s0);
    }
    for (; n < N; n++) {
      float s0 = 0;
      for (int k = 0; k < K; k++) s0 += a0[(size_t)k * acs] * B[(size_t)k * ldb + n];
      c0[n] = accumulate ? c0[n] + s0 : s0;
    }
  }
}

/* The sum of a vector's four lanes. */
static inline float hsum(v128_t v) {
  v128_t s = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(s, 0);
}

/*
 * C[m, n] (+)= sum_k A[m * lda + k] * B[n * ldb + k]: a product with the transpose of a
 * row-major B, as dot products along k (both operands contiguous, no transposed copy, no column
 * tail when N is not a multiple of 8). Register block: 4 rows x 2 columns, 4 lanes of k.
 */
static void gemm_nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                    float *C, int ldc, int accumulate) {
  const int K4 = K & ~3;
  int m = 0;
  for (; m + 4 <= M; m += 4) {
    const float *a0 = A + (size_t)m * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
    float *c0 = C + (size_t)m * ldc;
    int n = 0;
    for (; n + 2 <= N; n += 2) {
      const float *b0 = B + (size_t)n * ldb, *b1 = b0 + ldb;
      v128_t s00 = SPLAT(0.0f), s01 = SPLAT(0.0f), s10 = SPLAT(0.0f), s11 = SPLAT(0.0f);
      v128_t s20 = SPLAT(0.0f), s21 = SPLAT(0.0f), s30 = SPLAT(0.0f), s31 = SPLAT(0.0f);
      for (int k = 0; k < K4; k += 4) {
        v128_t x0 = wasm_v128_load(b0 + k), x1 = wasm_v128_load(b1 + k);
        v128_t y = wasm_v128_load(a0 + k);
        s00 = MADD(y, x0, s00);
        s01 = MADD(y, x1, s01);
        y = wasm_v128_load(a1 + k);
        s10 = MADD(y, x0, s10);
        s11 = MADD(y, x1, s11);
        y = wasm_v128_load(a2 + k);
        s20 = MADD(y, x0, s20);
        s21 = MADD(y, x1, s21);
        y = wasm_v128_load(a3 + k);
        s30 = MADD(y, x0, s30);
        s31 = MADD(y, x1, s31);
      }
      float r[8] = {hsum(s00), hsum(s01), hsum(s10), hsum(s11),
                    hsum(s20), hsum(s21), hsum(s30), hsum(s31)};
      for (int k = K4; k < K; k++) {
        r[0] += a0[k] * b0[k]; r[1] += a0[k] * b1[k];
        r[2] += a1[k] * b0[k]; r[3] += a1[k] * b1[k];
        r[4] += a2[k] * b0[k]; r[5] += a2[k] * b1[k];
        r[6] += a3[k] * b0[k]; r[7] += a3[k] * b1[k];
      }
      for (int i = 0; i < 4; i++) {
        float *c = c0 + (size_t)i * ldc + n;
        c[0] = accumulate ? c[0] + r[2 * i] : r[2 * i];
        c[1] = accumulate ? c[1] + r[2 * i + 1] : r[2 * i + 1];
      }
    }
    for (; n < N; n++) {
      const float *b0 = B + (size_t)n * ldb;
      for (int i = 0; i < 4; i++) {
        const float *a = A + (size_t)(m + i) * lda;
        v128_t s = SPLAT(0.0f);
        for (int k = 0; k < K4; k += 4) s = MADD(wasm_v128_load(a + k), wasm_v128_load(b0 + k), s);
        float r = hsum(s);
        for (int k = K4; k < K; k++) r += a[k] * b0[k];
        float *c = c0 + (size_t)i * ldc + n;
        *c = accumulate ? *c + r : r;
      }
    }
  }
  for (; m < M; m++) {
    const float *a = A + (size_t)m * lda;
    for (int n = 0; n < N; n++) {
      const float *b0 = B + (size_t)n * ldb;
      v128_t s = SPLAT(0.0f);
      for (int k = 0; k < K4; k += 4) s = MADD(wasm_v128_load(a + k), wasm_v128_load(b0 + k), s);
      float r = hsum(s);
      for (int k = K4; k < K; k++) r += a[k] * b0[k];
      float *c = C + (size_t)m * ldc + n;
      *c = accumulate ? *c + r : r;
    }
  }
}

/* Z[rows, N] = bias broadcast over rows. */
static void fill_bias(int rows, int N, const float *bias, float *Z) {
  for (int r = 0; r < rows; r++) {
    float *z = Z + (size_t)r * N;
    if (bias) for (int n = 0; n < N; n++) z[n] = bias[n];
    else for (int n = 0; n < N; n++) z[n] = 0.0f;
  }
}

/* db[N] += column sums of Z[rows, N]. */
static void col_sums(int rows, int N, const float *Z, float *db) {
  for (int r = 0; r < rows; r++) {
    const float *z = Z + (size_t)r * N;
    for (int n = 0; n < N; n++) db[n] += z[n];
  }
}

static void zero(size_t n, float *p) {
  for (size_t i = 0; i < n; i++) p[i] = 0.0f;
}

/* ---------------------------------------------------------------- LSTM */

/*
 * Rows of a batch that go through all T steps together. A step touches one row of every [B, T, .]
 * array per sequence, each in another page (a row of gates is T * 4U floats apart from the next
 * sequence's); walking all B sequences per step streams every array through the cache T times.
 * A block of RB sequences keeps a step's rows, the recurrent kernel and the block's whole history
 * in the L1 and L2 caches. Each output element is computed by the same operations in the same
 * order as without blocks (the GEMM's result for an element does not depend on M, and the weight
 * gradients are summed over rows in batch order), so blocking changes no bit.
 */
#ifndef RB
#define RB 8
#endif

/* Z[rows, N] (row stride ldz) = bias broadcast over rows. */
static void fill_bias_strided(int rows, int N, const float *bias, float *Z, size_t ldz) {
  for (int r = 0; r < rows; r++) {
    float *z = Z + (size_t)r * ldz;
    if (bias) for (int n = 0; n < N; n++) z[n] = bias[n];
    else for (int n = 0; n < N; n++) z[n] = 0.0f;
  }
}

/* One LSTM cell step on lanes j .. j + n of a row: the activated gates, c and tanh(c), and h. */
struct lstm_lanes {
  v128_t i, f, g, o, c, tc, h;
};

/* g holds the row's gate pre-activations [4U]; cp the previous c (0 at the first step). */
static inline struct lstm_lanes lstm_cell(const float *g, int U, int j, int n, int act,
                                          const float *cp) {
  struct lstm_lanes v;
  v.i = v_rec_act(ld(g + j, n), act);
  v.f = v_rec_act(ld(g + U + j, n), act);
  v.g = v_tanh(ld(g + 2 * U + j, n));
  v.o = v_rec_act(ld(g + 3 * U + j, n), act);
  v.c = wasm_f32x4_mul(v.i, v.g);
  if (cp) v.c = MADD(v.f, ld(cp + j, n), v.c);
  v.tc = v_tanh(v.c);
  v.h = wasm_f32x4_mul(v.o, v.tc);
  return v;
}

/*
 * Forward over a whole sequence. x [B, T, I]; outputs h [B, T, U], c [B, T, U] and tc = tanh(c)
 * [B, T, U] (all steps) and gates [B, T, 4U] holding the activated i, f, g (=tanh candidate), o,
 * which is what lstm_backward needs.
 */
__attribute__((export_name("lstm_forward")))
void lstm_forward(int B, int T, int I, int U, const float *x, const float *kernel,
                  const float *rkernel, const float *bias, int act, float *h, float *c,
                  float *gates, float *tc) {
  const int G = 4 * U;
  const size_t TG = (size_t)T * G, TU = (size_t)T * U;
  for (int b0 = 0; b0 < B; b0 += RB) {
    const int bs = B - b0 < RB ? B - b0 : RB;
    for (int t = 0; t < T; t++) {
      float *gt = gates + ((size_t)b0 * T + t) * G;
      fill_bias_strided(bs, G, bias, gt, TG);
      gemm(bs, G, I, x + ((size_t)b0 * T + t) * I, T * I, 1, kernel, G, gt, TG, 1);
      if (t > 0) gemm(bs, G, U, h + ((size_t)b0 * T + t - 1) * U, TU, 1, rkernel, G, gt, TG, 1);
      for (int b = b0; b < b0 + bs; b++) {
        float *g = gates + ((size_t)b * T + t) * G;
        float *hc = h + ((size_t)b * T + t) * U;
        float *cc = c + ((size_t)b * T + t) * U;
        float *tcc = tc + ((size_t)b * T + t) * U;
        const float *cp = t > 0 ? cc - U : 0;
        for (int j = 0; j < U; j += 4) {
          int n = LANES(j, U);
          struct lstm_lanes v = lstm_cell(g, U, j, n, act, cp);
          st(g + j, v.i, n); st(g + U + j, v.f, n); st(g + 2 * U + j, v.g, n);
          st(g + 3 * U + j, v.o, n);
          st(cc + j, v.c, n);
          st(tcc + j, v.tc, n);
          st(hc + j, v.h, n);
        }
      }
    }
  }
}

/*
 * Forward for inference: what lstm_forward computes for h, keeping only the running state of a
 * block of sequences (nothing for a backward pass). x [B, T, I]; out is h [B, T, U] when seq != 0,
 * else the last step's h [B, U]. scratch holds lstm_infer_scratch(U) floats. The same operations
 * in the same order as lstm_forward, so the same bits, without writing 7U floats per sequence and
 * step to memory.
 */
__attribute__((export_name("lstm_infer_scratch")))
int lstm_infer_scratch(int U) { return RB * 6 * U; }

__attribute__((export_name("lstm_infer")))
void lstm_infer(int B, int T, int I, int U, const float *x, const float *kernel,
                const float *rkernel, const float *bias, int act, int seq, float *out,
                float *scratch) {
  const int G = 4 * U;
  float *gt = scratch, *hs = scratch + (size_t)RB * G, *cs = hs + (size_t)RB * U;
  for (int b0 = 0; b0 < B; b0 += RB) {
    const int bs = B - b0 < RB ? B - b0 : RB;
    for (int t = 0; t < T; t++) {
      fill_bias_strided(bs, G, bias, gt, G);
      gemm(bs, G, I, x + ((size_t)b0 * T + t) * I, T * I, 1, kernel, G, gt, G, 1);
      if (t > 0) gemm(bs, G, U, hs, U, 1, rkernel, G, gt, G, 1);
      for (int r = 0; r < bs; r++) {
        const float *g = gt + (size_t)r * G;
        float *hc = hs + (size_t)r * U, *cc = cs + (size_t)r * U;
        for (int j = 0; j < U; j += 4) {
          int n = LANES(j, U);
          struct lstm_lanes v = lstm_cell(g, U, j, n, act, t > 0 ? cc : 0);
          st(cc + j, v.c, n);
          st(hc + j, v.h, n);
        }
        if (seq) {
          float *o = out + ((size_t)(b0 + r) * T + t) * U;
          for (int j = 0; j < U; j++) o[j] = hc[j];
        } else if (t == T - 1) {
          float *o = out + (size_t)(b0 + r) * U;
          for (int j = 0; j < U; j++) o[j] = hc[j];
        }
      }
    }
  }
}

/*
 * Backpropagation through time. dh_out is [B, T, U] when seq != 0, else [B, U] (last step only).
 * gates is overwritten with the pre-activation gradients. dh, dc are scratch [B, U] each.
 * dx [B, T, I] is written (skipped when dx is 0: the gradient of a model's input is not needed);
 * dk [I, 4U], dr [U, 4U] and db [4U] are overwritten.
 */
__attribute__((export_name("lstm_backward")))
void lstm_backward(int B, int T, int I, int U, const float *x, const float *kernel,
                   const float *rkernel, int act, const float *h, const float *c,
                   const float *tc, float *gates, const float *dh_out, int seq, float *dx,
                   float *dk, float *dr, float *db, float *dh, float *dc) {
  const int G = 4 * U;
  const size_t TG = (size_t)T * G;
  zero((size_t)B * U, dh);
  zero((size_t)B * U, dc);
  zero((size_t)I * G, dk);
  zero((size_t)U * G, dr);
  zero(G, db);
  for (int b0 = 0; b0 < B; b0 += RB) {
    const int bs = B - b0 < RB ? B - b0 : RB;
    for (int t = T - 1; t >= 0; t--) {
      for (int b = b0; b < b0 + bs; b++) {
        float *g = gates + ((size_t)b * T + t) * G;
        const float *cc = c + ((size_t)b * T + t) * U;
        const float *cp = t > 0 ? cc - U : 0;
        float *dhb = dh + (size_t)b * U, *dcb = dc + (size_t)b * U;
        const float *dout = seq ? dh_out + ((size_t)b * T + t) * U
                                : (t == T - 1 ? dh_out + (size_t)b * U : 0);
        for (int j = 0; j < U; j += 4) {
          int n = LANES(j, U);
          v128_t dhv = ld(dhb + j, n);
          if (dout) dhv = wasm_f32x4_add(dhv, ld(dout + j, n));
          v128_t gi = ld(g + j, n), gf = ld(g + U + j, n), gg = ld(g + 2 * U + j, n);
          v128_t go = ld(g + 3 * U + j, n);
          v128_t tcv = ld(tc + ((size_t)b * T + t) * U + j, n);
          v128_t one = SPLAT(1.0f);
          v128_t dcv = wasm_f32x4_add(
              ld(dcb + j, n),
              wasm_f32x4_mul(wasm_f32x4_mul(dhv, go),
                             wasm_f32x4_sub(one, wasm_f32x4_mul(tcv, tcv))));
          v128_t cprev = cp ? ld(cp + j, n) : SPLAT(0.0f);
          st(g + j, wasm_f32x4_mul(wasm_f32x4_mul(dcv, gg), v_rec_act_grad(gi, act)), n);
          st(g + U + j, wasm_f32x4_mul(wasm_f32x4_mul(dcv, cprev), v_rec_act_grad(gf, act)), n);
          st(g + 2 * U + j,
             wasm_f32x4_mul(wasm_f32x4_mul(dcv, gi), wasm_f32x4_sub(one, wasm_f32x4_mul(gg, gg))),
             n);
          st(g + 3 * U + j, wasm_f32x4_mul(wasm_f32x4_mul(dhv, tcv), v_rec_act_grad(go, act)), n);
          st(dcb + j, wasm_f32x4_mul(dcv, gf), n);
        }
      }
      if (t > 0) {
        gemm_nt(bs, U, G, gates + ((size_t)b0 * T + t) * G, TG, rkernel, G, dh + (size_t)b0 * U,
                U, 0);
      }
    }
    /* The block's share of the weight gradients, while its history is still in the cache:
     * added in batch order, as one pass over all rows would. */
    const float *gb = gates + (size_t)b0 * TG;
    if (dx) gemm_nt(bs * T, I, G, gb, G, kernel, G, dx + (size_t)b0 * T * I, I, 0);
    gemm(I, G, bs * T, x + (size_t)b0 * T * I, 1, I, gb, G, dk, G, 1);
    if (T > 1) {
      for (int b = b0; b < b0 + bs; b++) {
        gemm(U, G, T - 1, h + (size_t)b * T * U, 1, U, gates + ((size_t)b * T + 1) * G, G, dr, G,
             1);
      }
    }
    col_sums(bs * T, G, gb, db);
  }
}

/* ---------------------------------------------------------------- GRU */

/*
 * Forward over a whole sequence (tfjs GRU, resetAfter = false):
 *   z = rec(x Kz + h Rz + bz), r = rec(x Kr + h Rr + br), hh = tanh(x Kh + (r * h) Rh + bh),
 *   h' = z * h + (1 - z) * hh.
 * Outputs h [B, T, U], gates [B, T, 3U] (activated z, r, hh) and rh [B, T, U] (r * h_prev).
 */
__attribute__((export_name("gru_forward")))
void gru_forward(int B, int T, int I, int U, const float *x, const float *kernel,
                 const float *rkernel, const float *bias, int act, float *h, float *gates,
                 float *rh) {
  const int G = 3 * U;
  fill_bias(B * T, G, bias, gates);
  gemm(B * T, G, I, x, I, 1, kernel, G, gates, G, 1);
  for (int t = 0; t < T; t++) {
    if (t > 0) {
      gemm(B, 2 * U, U, h + (size_t)(t - 1) * U, T * U, 1, rkernel, G, gates + (size_t)t * G,
           T * G, 1);
    }
    for (int b = 0; b < B; b++) {
      float *g = gates + ((size_t)b * T + t) * G;
      float *rhb = rh + ((size_t)b * T + t) * U;
      const float *hp = t > 0 ? h + ((size_t)b * T + t - 1) * U : 0;
      for (int j = 0; j < U; j += 4) {
        int n = LANES(j, U);
        st(g + j, v_rec_act(ld(g + j, n), act), n);
        v128_t r = v_rec_act(ld(g + U + j, n), act);
        st(g + U + j, r, n);
        st(rhb + j, hp ? wasm_f32x4_mul(r, ld(hp + j, n)) : SPLAT(0.0f), n);
      }
    }
    if (t > 0) {
      gemm(B, U, U, rh + (size_t)t * U, T * U, 1, rkernel + 2 * U, G,
           gates + (size_t)t * G + 2 * U, T * G, 1);
    }
    for (int b = 0; b < B; b++) {
      float *g = gates + ((size_t)b * T + t) * G;
      float *hb = h + ((size_t)b * T + t) * U;
      const float *hp = t > 0 ? hb - U : 0;
      for (int j = 0; j < U; j += 4) {
        int n = LANES(j, U);
        v128_t hh = v_tanh(ld(g + 2 * U + j, n));
        v128_t z = ld(g + j, n);
        st(g + 2 * U + j, hh, n);
        v128_t hv = wasm_f32x4_mul(wasm_f32x4_sub(SPLAT(1.0f), z), hh);
        if (hp) hv = MADD(z, ld(hp + j, n), hv);
        st(hb + j, hv, n);
      }
    }
  }
}

/*
 * Backpropagation through time for gru_forward; arguments as in lstm_backward, with dh, dhn, drh
 * scratch [B, U] each. gates is overwritten with the pre-activation gradients.
 */
__attribute__((export_name("gru_backward")))
void gru_backward(int B, int T, int I, int U, const float *x, const float *kernel,
                  const float *rkernel, int act, const float *h, float *gates, const float *rh,
                  const float *dh_out, int seq, float *dx, float *dk, float *dr, float *db,
                  float *dh, float *dhn, float *drh) {
  const int G = 3 * U;
  zero((size_t)B * U, dh);
  for (int t = T - 1; t >= 0; t--) {
    for (int b = 0; b < B; b++) {
      float *g = gates + ((size_t)b * T + t) * G;
      const float *hp = t > 0 ? h + ((size_t)b * T + t - 1) * U : 0;
      float *dhb = dh + (size_t)b * U, *dhnb = dhn + (size_t)b * U;
      const float *dout = seq ? dh_out + ((size_t)b * T + t) * U
                              : (t == T - 1 ? dh_out + (size_t)b * U : 0);
      for (int j = 0; j < U; j += 4) {
        int n = LANES(j, U);
        v128_t dhv = ld(dhb + j, n);
        if (dout) dhv = wasm_f32x4_add(dhv, ld(dout + j, n));
        v128_t z = ld(g + j, n), hh = ld(g + 2 * U + j, n);
        v128_t hpv = hp ? ld(hp + j, n) : SPLAT(0.0f);
        v128_t one = SPLAT(1.0f);
        st(g + j, wasm_f32x4_mul(wasm_f32x4_mul(dhv, wasm_f32x4_sub(hpv, hh)), v_rec_act_grad(z, act)),
           n);
        st(g + 2 * U + j,
           wasm_f32x4_mul(wasm_f32x4_mul(dhv, wasm_f32x4_sub(one, z)),
                          wasm_f32x4_sub(one, wasm_f32x4_mul(hh, hh))),
           n);
        st(dhnb + j, wasm_f32x4_mul(dhv, z), n);
      }
    }
    if (t > 0) {
      gemm_nt(B, U, U, gates + (size_t)t * G + 2 * U, T * G, rkernel + 2 * U, G, drh, U, 0);
      for (int b = 0; b < B; b++) {
        float *g = gates + ((size_t)b * T + t) * G;
        const float *hp = h + ((size_t)b * T + t - 1) * U;
        const float *drhb = drh + (size_t)b * U;
        float *dhnb = dhn + (size_t)b * U;
        for (int j = 0; j < U; j += 4) {
          int n = LANES(j, U);
          v128_t r = ld(g + U + j, n), d = ld(drhb + j, n);
          st(g + U + j, wasm_f32x4_mul(wasm_f32x4_mul(d, ld(hp + j, n)), v_rec_act_grad(r, act)), n);
          st(dhnb + j, wasm_f32x4_add(ld(dhnb + j, n), wasm_f32x4_mul(d, r)), n);
        }
      }
      gemm_nt(B, U, 2 * U, gates + (size_t)t * G, T * G, rkernel, G, dhn, U, 1);
    } else {
      for (int b = 0; b < B; b++) {
        float *g = gates + (size_t)b * T * G;
        for (int j = 0; j < U; j++) g[U + j] = 0.0f;
      }
    }
    float *tmp = dh; dh = dhn; dhn = tmp;
  }
  if (dx) gemm_nt(B * T, I, G, gates, G, kernel, G, dx, I, 0);
  gemm(I, G, B * T, x, 1, I, gates, G, dk, G, 0);
  zero((size_t)U * G, dr);
  if (T > 1) {
    for (int b = 0; b < B; b++) {
      const float *dz = gates + ((size_t)b * T + 1) * G;
      gemm(U, 2 * U, T - 1, h + (size_t)b * T * U, 1, U, dz, G, dr, G, 1);
      gemm(U, U, T - 1, rh + ((size_t)b * T + 1) * U, 1, U, dz + 2 * U, G, dr + 2 * U, G, 1);
    }
  }
  zero(G, db);
  col_sums(B * T, G, gates, db);
}

/* ---------------------------------------------------------------- helpers for inference */

#define DENSE_LINEAR 0
#define DENSE_RELU 1
#define DENSE_SIGMOID 2
#define DENSE_TANH 3

/* out[M, N] = act(x[M, I] W[I, N] + b[N]). */
__attribute__((export_name("dense_forward")))
void dense_forward(int M, int I, int N, const float *x, const float *w, const float *b, int act,
                   float *out) {
  fill_bias(M, N, b, out);
  gemm(M, N, I, x, I, 1, w, N, out, N, 1);
  size_t n = (size_t)M * N;
  for (size_t k = 0; k < n; k++) {
    float v = out[k];
    if (act == DENSE_RELU) v = v > 0.0f ? v : 0.0f;
    else if (act == DENSE_SIGMOID) v = sigmoidf_(v);
    else if (act == DENSE_TANH) v = tanhf_(v);
    out[k] = v;
  }
}

/* out[b, T - 1 - t, :] = in[b, t, :] for [B, T, F] sequences (in and out must not overlap). */
__attribute__((export_name("reverse_time")))
void reverse_time(int B, int T, int F, const float *in, float *out) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      const float *s = in + ((size_t)b * T + t) * F;
      float *d = out + ((size_t)b * T + (T - 1 - t)) * F;
      for (int f = 0; f < F; f++) d[f] = s[f];
    }
}

/* out[b, t, 0:F1] = a[b, t, :], out[b, t, F1:F1+F2] = bb[b, t, :] (rows = B * T). */
__attribute__((export_name("concat_features")))
void concat_features(int rows, int F1, int F2, const float *a, const float *bb, float *out) {
  for (int r = 0; r < rows; r++) {
    float *d = out + (size_t)r * (F1 + F2);
    for (int f = 0; f < F1; f++) d[f] = a[(size_t)r * F1 + f];
    for (int f = 0; f < F2; f++) d[F1 + f] = bb[(size_t)r * F2 + f];
  }
}

/* ---------------------------------------------------------------- the fused training step */

/*
 * Backward pass of dense_forward. y [M, N] is the layer's activated output and dy [M, N] the
 * gradient of the loss with respect to it; dy is overwritten with the pre-activation gradient.
 * dw [I, N] and db [N] are overwritten; dx [M, I] is written unless dx is 0.
 */
__attribute__((export_name("dense_backward")))
void dense_backward(int M, int I, int N, const float *x, const float *w, const float *y, int act,
                    float *dy, float *dx, float *dw, float *db) {
  size_t n = (size_t)M * N;
  for (size_t k = 0; k < n; k++) {
    float v = y[k];
    if (act == DENSE_RELU) dy[k] = v > 0.0f ? dy[k] : 0.0f;
    else if (act == DENSE_SIGMOID) dy[k] = dy[k] * (v * (1.0f - v));
    else if (act == DENSE_TANH) dy[k] = dy[k] * (1.0f - v * v);
  }
  gemm(I, N, M, x, 1, I, dy, N, dw, N, 0);
  zero(N, db);
  col_sums(M, N, dy, db);
  if (dx) gemm_nt(M, I, N, dy, N, w, N, dx, I, 0);
}

/* a[k] *= m[k] for k < n (a dropout mask, or its gradient). */
__attribute__((export_name("mul_into")))
void mul_into(int n, float *a, const float *m) {
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    wasm_v128_store(a + k, wasm_f32x4_mul(wasm_v128_load(a + k), wasm_v128_load(m + k)));
  }
  for (; k < n; k++) a[k] *= m[k];
}

/* a[k] += b[k] for k < n (the second half's gradients onto the first's). */
__attribute__((export_name("add_into")))
void add_into(int n, float *a, const float *b) {
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    wasm_v128_store(a + k, wasm_f32x4_add(wasm_v128_load(a + k), wasm_v128_load(b + k)));
  }
  for (; k < n; k++) a[k] += b[k];
}

/*
 * One Adam step over n weights, operation for operation as tfjs 4.22's AdamOptimizer (each
 * multiply, add, divide and square root rounded to f32, never fused):
 *   m = m * beta1 + g * c1;  v = v * beta2 + (g * g) * c2;
 *   w = ((m / bc1) / (sqrt(v / bc2) + eps)) * nlr + w
 * with c1 = 1 - beta1, c2 = 1 - beta2, bc1 = 1 - beta1^t, bc2 = 1 - beta2^t (the caller rounds
 * them to f32 as tfjs does) and nlr = -learning rate.
 */
__attribute__((export_name("adam_step")))
void adam_step(int n, float *w, const float *g, float *m, float *v, float beta1, float beta2,
               float c1, float c2, float bc1, float bc2, float eps, float nlr) {
  const v128_t vb1 = SPLAT(beta1), vb2 = SPLAT(beta2), vc1 = SPLAT(c1), vc2 = SPLAT(c2);
  const v128_t vbc1 = SPLAT(bc1), vbc2 = SPLAT(bc2), veps = SPLAT(eps), vlr = SPLAT(nlr);
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    v128_t gk = wasm_v128_load(g + k);
    v128_t mk = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + k), vb1), wasm_f32x4_mul(gk, vc1));
    v128_t vk = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + k), vb2),
                               wasm_f32x4_mul(wasm_f32x4_mul(gk, gk), vc2));
    wasm_v128_store(m + k, mk);
    wasm_v128_store(v + k, vk);
    v128_t step = wasm_f32x4_div(wasm_f32x4_div(mk, vbc1),
                                 wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(vk, vbc2)), veps));
    wasm_v128_store(w + k, wasm_f32x4_add(wasm_f32x4_mul(step, vlr), wasm_v128_load(w + k)));
  }
  for (; k < n; k++) {
    float gk = g[k];
    float mk = m[k] * beta1 + gk * c1;
    float vk = v[k] * beta2 + (gk * gk) * c2;
    m[k] = mk;
    v[k] = vk;
    w[k] = ((mk / bc1) / (__builtin_sqrtf(vk / bc2) + eps)) * nlr + w[k];
  }
}

/*
 * One RMSprop step over n weights (not centered), operation for operation as tfjs 4.22's
 * RMSPropOptimizer (each multiply, add, divide and square root rounded to f32, never fused):
 *   ms = ms * decay + (g * g) * c;  mom = mom * momentum + (g * lr) / sqrt(ms + eps);
 *   w = w - mom
 * with c = 1 - decay (the caller rounds it to f32 as tfjs does).
 */
__attribute__((export_name("rmsprop_step")))
void rmsprop_step(int n, float *w, const float *g, float *ms, float *mom, float decay, float c,
                  float momentum, float lr, float eps) {
  const v128_t vd = SPLAT(decay), vc = SPLAT(c), vm = SPLAT(momentum), vlr = SPLAT(lr);
  const v128_t veps = SPLAT(eps);
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    v128_t gk = wasm_v128_load(g + k);
    v128_t sk = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(ms + k), vd),
                               wasm_f32x4_mul(wasm_f32x4_mul(gk, gk), vc));
    v128_t step = wasm_f32x4_div(wasm_f32x4_mul(gk, vlr), wasm_f32x4_sqrt(wasm_f32x4_add(sk, veps)));
    v128_t mk = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(mom + k), vm), step);
    wasm_v128_store(ms + k, sk);
    wasm_v128_store(mom + k, mk);
    wasm_v128_store(w + k, wasm_f32x4_sub(wasm_v128_load(w + k), mk));
  }
  for (; k < n; k++) {
    float gk = g[k];
    float sk = ms[k] * decay + (gk * gk) * c;
    float mk = mom[k] * momentum + (gk * lr) / __builtin_sqrtf(sk + eps);
    ms[k] = sk;
    mom[k] = mk;
    w[k] = w[k] - mk;
  }
}

/*
 * n dropout multipliers as tf.dropout draws them: u from seedrandom's alea (state: c, s0, s1, s2
 * as doubles, advanced in place), then floor(f32(u) + keep) / keep in f32, i.e. `scale` when
 * f32(u) + keep >= 1, else 0. The same double arithmetic as alea's JavaScript (t | 0 truncates
 * a positive t < 2^31 exactly as (int)t does; -ffp-contract=off keeps t's product and sum apart).
 */
__attribute__((export_name("alea_mask")))
void alea_mask(int n, double *state, float keep, float scale, float *out) {
  double c = state[0], s0 = state[1], s1 = state[2], s2 = state[3];
  for (int i = 0; i < n; i++) {
    double t = 2091639.0 * s0 + c * 2.3283064365386963e-10; /* 2^-32 */
    s0 = s1;
    s1 = s2;
    c = (double)(int)t;
    s2 = t - c;
    out[i] = (float)s2 + keep >= 1.0f ? scale : 0.0f;
  }
  state[0] = c;
  state[1] = s0;
  state[2] = s1;
  state[3] = s2;
}
