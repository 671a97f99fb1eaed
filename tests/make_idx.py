"""Writes a small IDX data set for the tests: make_idx.py DIR N_TRAIN N_TEST
ROWS COLS CLASSES [TEST_ROWS TEST_COLS]. Images are class-dependent
patterns plus noise (learnable), labels cycle through 0..CLASSES-1; the test
set may get another image size (to test that it is refused)."""
import random, struct, sys, os

def images(path, n, rows, cols, labels):
    rng = random.Random(n * 7 + rows)
    with open(path, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, rows, cols))
        for i in range(n):
            c = labels[i]
            f.write(bytes(min(255, (200 if (r * cols + k) % (c + 2) == 0 else 20) + rng.randrange(30))
                          for r in range(rows) for k in range(cols)))

def labels(path, values):
    with open(path, "wb") as f:
        f.write(struct.pack(">II", 0x801, len(values)))
        f.write(bytes(values))

out, n_train, n_test, rows, cols, classes = sys.argv[1], *map(int, sys.argv[2:7])
test_rows, test_cols = (int(sys.argv[7]), int(sys.argv[8])) if len(sys.argv) > 8 else (rows, cols)
os.makedirs(out, exist_ok=True)
for split, n, r, c in (("train", n_train, rows, cols), ("t10k", n_test, test_rows, test_cols)):
    y = [i % classes for i in range(n)]
    images(f"{out}/{split}-images-idx3-ubyte", n, r, c, y)
    labels(f"{out}/{split}-labels-idx1-ubyte", y)
