# With arguments, the value selected is called too, through `__functor`.
{ f = { __functor = self: { n ? 4 }: n * 10; }; }
