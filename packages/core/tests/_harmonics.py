"""Independent closed-form spin-weighted spherical harmonics for tests.

Goldberg et al. (1967), J. Math. Phys. 8, 2155, eq. (3.1): with x = θ/2,

    sY_ℓm(θ, φ) = (−1)^m sqrt[(ℓ+m)!(ℓ−m)!(2ℓ+1) / (4π (ℓ+s)!(ℓ−s)!)]
                  Σ_r C(ℓ−s, r) C(ℓ+s, r+s−m) (−1)^{ℓ−r−s} e^{imφ}
                  sin^{2ℓ−k}(x) cos^{k}(x),    k = 2r + s − m,

written with sin/cos powers (both exponents are >= 0) so the poles need no limits.  Phase
conventions differ between references by (−1)^{s} or (−1)^{m} factors, which do not matter
for the orthonormality and integral checks that use this module.
"""

from math import comb, factorial, pi, sqrt

import numpy as np
from scipy.special import beta as beta_function


def _terms(ell: int, m: int, s: int):
    norm = (-1) ** m * sqrt(
        factorial(ell + m)
        * factorial(ell - m)
        * (2 * ell + 1)
        / (4 * pi * factorial(ell + s) * factorial(ell - s))
    )
    for r in range(ell - s + 1):
        if not 0 <= r + s - m <= ell + s:
            continue
        coeff = comb(ell - s, r) * comb(ell + s, r + s - m) * (-1) ** (ell - r - s) * norm
        k = 2 * r + s - m
        yield coeff, 2 * ell - k, k


def spin_ylm(ell: int, m: int, s: int, theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """sY_ℓm(θ, φ) from Goldberg's sum, broadcasting θ and φ."""
    theta = np.asarray(theta, dtype=np.float64)
    sx, cx = np.sin(theta / 2), np.cos(theta / 2)
    total = np.zeros(np.broadcast(theta, phi).shape)
    for coeff, p_sin, p_cos in _terms(ell, m, s):
        total = total + coeff * sx**p_sin * cx**p_cos
    return total * np.exp(1j * m * np.asarray(phi))


def spin_ylm_integral(ell: int, m: int, s: int) -> float:
    """∫ sY_ℓm dΩ in closed form via Beta functions.

    Only m = 0 survives the φ integral; then with x = θ/2,
    ∫_0^π sin^a(x) cos^b(x) sin θ dθ = 4 ∫_0^{π/2} sin^{a+1} x cos^{b+1} x dx
                                      = 2 B((a+2)/2, (b+2)/2).
    """
    if m != 0:
        return 0.0
    total = 0.0
    for coeff, p_sin, p_cos in _terms(ell, 0, s):
        total += coeff * 2 * beta_function((p_sin + 2) / 2, (p_cos + 2) / 2)
    return 2 * pi * total
