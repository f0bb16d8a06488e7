# The smallest integer divided by -1 overflows.
let m = -9223372036854775807 - 1; d = -1; in m / d
