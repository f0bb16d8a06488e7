# TOML has infinities and NaNs, which Nix floats can hold.
builtins.fromTOML ''
  a = inf
  b = +inf
  c = -inf
  d = nan
  e = -0.0
''
