# Deep forcing (deepSeq, toJSON, the strict printer) walks each set or
# list at most twice, however it is shared: a binary DAG 60 levels deep
# has 2^60 paths, and a walk that visited each would never end. Sharing
# through a `let` binding (one thunk in two places), through one value in
# two list slots, through large sets whose chunks other sets share, and
# cycles; and a value reached again, through a thunk forced later in the
# walk, after it was walked.
let
  inherit (builtins) deepSeq genList listToAttrs toJSON length attrNames;
  viaThunks = n: if n == 0 then { leaf = 1; } else let s = viaThunks (n - 1); in { l = s; r = s; };
  viaList = n: if n == 0 then [ 1 ] else let s = viaList (n - 1); in [ s s ];
  viaSetAndList = n: if n == 0 then { v = [ 0 ]; } else let s = viaSetAndList (n - 1); in { both = [ s s ]; };
  # A set literal of more than 64 attributes keeps them in chunks; `l`
  # and `r` share the one that holds `_child`, the only reference to it.
  viaChunks = n: if n == 0 then { leaf = 1; } else
    let big = {
      _child = viaChunks (n - 1);
      a000 = 0; a001 = 1; a002 = 2; a003 = 3; a004 = 4; a005 = 5; a006 = 6; a007 = 7; a008 = 8; a009 = 9;
      a010 = 10; a011 = 11; a012 = 12; a013 = 13; a014 = 14; a015 = 15; a016 = 16; a017 = 17; a018 = 18; a019 = 19;
      a020 = 20; a021 = 21; a022 = 22; a023 = 23; a024 = 24; a025 = 25; a026 = 26; a027 = 27; a028 = 28; a029 = 29;
      a030 = 30; a031 = 31; a032 = 32; a033 = 33; a034 = 34; a035 = 35; a036 = 36; a037 = 37; a038 = 38; a039 = 39;
      a040 = 40; a041 = 41; a042 = 42; a043 = 43; a044 = 44; a045 = 45; a046 = 46; a047 = 47; a048 = 48; a049 = 49;
      a050 = 50; a051 = 51; a052 = 52; a053 = 53; a054 = 54; a055 = 55; a056 = 56; a057 = 57; a058 = 58; a059 = 59;
      a060 = 60; a061 = 61; a062 = 62; a063 = 63; a064 = 64; a065 = 65; a066 = 66; a067 = 67; a068 = 68; a069 = 69;
      a070 = 70; a071 = 71; a072 = 72; a073 = 73; a074 = 74; a075 = 75; a076 = 76; a077 = 77; a078 = 78; a079 = 79;
      a080 = 80; a081 = 81; a082 = 82; a083 = 83; a084 = 84; a085 = 85; a086 = 86; a087 = 87; a088 = 88; a089 = 89;
      a090 = 90; a091 = 91; a092 = 92; a093 = 93; a094 = 94; a095 = 95; a096 = 96; a097 = 97; a098 = 98; a099 = 99;
      a100 = 100; a101 = 101; a102 = 102; a103 = 103; a104 = 104; a105 = 105; a106 = 106; a107 = 107; a108 = 108; a109 = 109;
      a110 = 110; a111 = 111; a112 = 112; a113 = 113; a114 = 114; a115 = 115; a116 = 116; a117 = 117; a118 = 118; a119 = 119;
      a120 = 120; a121 = 121; a122 = 122; a123 = 123; a124 = 124; a125 = 125; a126 = 126; a127 = 127; a128 = 128; a129 = 129;
      a130 = 130; a131 = 131; a132 = 132; a133 = 133; a134 = 134; a135 = 135; a136 = 136; a137 = 137; a138 = 138; a139 = 139;
      a140 = 140; a141 = 141; a142 = 142; a143 = 143; a144 = 144; a145 = 145; a146 = 146; a147 = 147; a148 = 148; a149 = 149;
      a150 = 150; a151 = 151; a152 = 152; a153 = 153; a154 = 154; a155 = 155; a156 = 156; a157 = 157; a158 = 158; a159 = 159;
      a160 = 160; a161 = 161; a162 = 162; a163 = 163; a164 = 164; a165 = 165; a166 = 166; a167 = 167; a168 = 168; a169 = 169;
      a170 = 170; a171 = 171; a172 = 172; a173 = 173; a174 = 174; a175 = 175; a176 = 176; a177 = 177; a178 = 178; a179 = 179;
      a180 = 180; a181 = 181; a182 = 182; a183 = 183; a184 = 184; a185 = 185; a186 = 186; a187 = 187; a188 = 188; a189 = 189;
      a190 = 190; a191 = 191; a192 = 192; a193 = 193; a194 = 194; a195 = 195; a196 = 196; a197 = 197; a198 = 198; a199 = 199;
    };
    in { l = big // { zx = 1; }; r = removeAttrs big [ "a199" ]; };
  # Walked once unremembered under `a`, each `A_k` is reached again
  # through a thunk of `b` forced later.
  subtree = n: if n == 0 then [ ] else [ (subtree (n - 1)) (subtree (n - 1)) ];
  chain = d: if d == 0 then subtree 10 else { next = chain (d - 1); };
  get = k: x: if k == 0 then x else get (k - 1) x.next;
  late = { a = chain 30; b = genList (k: get (k + 1) late.a) 30; };
  big = listToAttrs (genList (i: { name = "a${toString i}"; value = { x = [ i ]; }; }) 100);
  overlays = genList (i: big // { "k${toString i}" = { y = i; }; }) 50;
  cyclic = { self = cyclic; list = [ cyclic cyclic ]; n = 1; };
  fresh = genList (i: { i = i; sq = [ (i * i) { deep = [ i ]; } ]; }) 1000;
in
{
  thunks = deepSeq (viaThunks 60) "walked once";
  lists = deepSeq (viaList 60) "walked once";
  mixed = deepSeq (viaSetAndList 60) "walked once";
  chunked = deepSeq (viaChunks 60) "walked once";
  reachedLate = deepSeq late (length late.b);
  chunks = deepSeq overlays (length overlays);
  cycle = deepSeq cyclic cyclic.n;
  tree = deepSeq fresh (length fresh);
  json = toJSON (viaThunks 3);
  names = attrNames (builtins.elemAt overlays 7);
}
