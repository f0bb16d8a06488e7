# Several -A paths print one value each, in order; a function met along a
# path is called automatically (here with its defaults), the value at the
# end of one only when arguments are given.
{
  a = 1;
  b.c = 2;
  l = [ 5 6 ];
  "p.q" = 7;
  g = { m ? 3 }: { y = m; };
  h = { __functor = self: { m ? 4 }: { z = m; }; };
}
