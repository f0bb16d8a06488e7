# A float literal beyond the double range is the largest double of its sign;
# one below the smallest denormal is zero (Nix 2.8).
builtins.fromTOML ''
  big = 1e400
  neg_big = -1e400
  just_over = 1.7976931348623159e308
  tiny = 1e-400
  neg_tiny = -1e-400
  denormal = 4.9e-324
  special = [ inf, -inf, +inf, nan, +nan ]
  underscores = 1_0.5_0
  exp_zero = 1e05
''
