# Attribute paths merge with set literals bound to the same name at every
# level the path walks through; two literals merge one level deep.
[
  { a = { x = 1; }; a = { ${"y"} = 2; }; }
  { a = { b = { }; }; a.b.c = 1; }
  { a.b = 1; a = { c = 2; }; }
  { a = { x = { }; }; a.x = { y = 1; }; }
  { a.b.c = 1; a.b.d = 2; a = { e = 3; }; }
  (rec { a.b = 1; a.c = a.b; })
  (let a.b = { c = 1; }; a.b = { d = 2; }; in a)
]
