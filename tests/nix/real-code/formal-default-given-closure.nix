# From lib.types.either (`mkOptionType rec { check = x: …; merge = …; }`):
# a formal whose default is a lambda is completed after the call binds it,
# but when the caller gave a closure for it, that closure is the caller's
# and its captures refer to the caller's frame, not the callee's.
let
  mk = { check ? (x: true), n ? 0, merge ? (a: b: check a) }: [ (check n) (merge n 1) ];
  a = 1; b = 2; c = 3; d = 4; e = 5;
  use = t: mk { check = x: [ a b c d e t x ]; merge = p: q: [ p q t e ]; };
in [ (use 7) (mk { }) ]
