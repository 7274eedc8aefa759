/**
 * Numerical safety constants shared by the float32 (tfjs) and float64 (reference) paths.
 * They follow geoopt's choices where geoopt has one; the float32 artanh margin is ours (see below).
 */

/** Norms are clamped from below at this value before any division (geoopt's MIN_NORM). */
export const MIN_NORM = 1e-15;

/** Arguments of tanh are clamped to ±TANH_CLAMP (tanh(15) is 1 to 13 digits, and its gradient stays finite). */
export const TANH_CLAMP = 15;

/**
 * artanh's argument is clamped to ±(1 − ARTANH_EPS32) on the float32 path. 1e-6 is about 17 float32 ulps below 1,
 * so the clamp is exact in float32, keeps artanh' ≤ 5e5 (finite gradients), and still leaves room for the largest
 * ‖(−x) ⊕ y‖ two projected float32 points can have (antipodal points at radius 1 − 4e-3 give 1 − 8e-6).
 */
export const ARTANH_EPS32 = 1e-6;

/** artanh's argument is clamped to ±(1 − ARTANH_EPS64) on the float64 path (geoopt, DESIGN.md). */
export const ARTANH_EPS64 = 1e-7;

/** float32 points are projected to radius (1 − BOUNDARY_EPS32)/√c (geoopt's float32 ball margin). */
export const BOUNDARY_EPS32 = 4e-3;

/** float64 points are projected to radius (1 − BOUNDARY_EPS64)/√c (geoopt's float64 ball margin). */
export const BOUNDARY_EPS64 = 1e-5;
