// The standard normal distribution for GELU (x Phi(x), PyTorch's exact
// nn.GELU): GLSL has no erf. Phi(x) = erfc(-x / sqrt 2) / 2 with erfc from
// Numerical Recipes in C (2nd ed., section 6.2, erfcc): a Chebyshev fit
// whose relative error is below 1.2e-7 for every argument (1.04e-7 measured
// in double on [-10, 10]), so the small tail of Phi for negative x keeps its
// relative accuracy, which 1 + erf(x / sqrt 2) would lose to cancellation.
// Evaluated in f32, GELU is within 4e-7 of the double reference on [-10, 10].

// erfc(z) for z >= 0.
vec4 alvk_erfc_pos(vec4 z) {
    vec4 t = 1.0 / (1.0 + 0.5 * z);
    vec4 p = -0.82215223 + t * 0.17087277;
    p = 1.48851587 + t * p;
    p = -1.13520398 + t * p;
    p = 0.27886807 + t * p;
    p = -0.18628806 + t * p;
    p = 0.09678418 + t * p;
    p = 0.37409196 + t * p;
    p = 1.00002368 + t * p;
    return t * exp(-z * z - 1.26551223 + t * p);
}

// Phi(x), the standard normal CDF.
vec4 alvk_normal_cdf(vec4 x) {
    vec4 half_tail = 0.5 * alvk_erfc_pos(abs(x) * 0.70710678118654752);  // Phi(-|x|)
    return mix(half_tail, 1.0 - half_tail, greaterThan(x, vec4(0.0)));
}

// phi(x), the standard normal density.
vec4 alvk_normal_pdf(vec4 x) { return 0.39894228040143268 * exp(-0.5 * x * x); }
