# `{ } // s` and `s // { }` are `s` itself in Nix, so printing shows them as
# repeated where `s` was printed already.
let s = { c = 0; }; in
[ s ({ } // s) (s // { }) ({ } // { }) (rec { v = { c = 1; }; w = { } // v; }) ]
