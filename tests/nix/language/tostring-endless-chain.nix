# Each __toString nests a level, as a call does: an endless chain ends with the stack budget.
toString { __toString = self: self // { }; }
