"""vestis::resize against an independent implementation: PIL's Image.resize(BILINEAR,
reducing_gap=3), the same filter (triangle widened by the shrink factor, block means first
when shrinking more than 3x). PIL rounds to 8 bits after the block means and between its
two passes; Vestis does not, so values may differ by a level or two, never more."""
import os
import random
import subprocess
import sys
import tempfile

from PIL import Image

resize_raw = sys.argv[1]
cases = [  # (mode, width, height, out_width, out_height)
    ("RGB", 4032, 3024, 224, 224),   # phone photo: block means, then the filter
    ("RGB", 997, 601, 224, 224),     # plain antialiased shrink
    ("RGB", 100, 80, 300, 200),      # upscale: plain bilinear
    ("L", 1000, 50, 37, 5),          # gray, very unequal axes
    ("L", 3001, 2999, 53, 61),       # partial last blocks
]
rng = random.Random(5)
failures = 0
with tempfile.TemporaryDirectory() as folder:
    for mode, w, h, ow, oh in cases:
        channels = len(mode)
        # Sharp-edged blocks of random colour (any shift of the geometry shows at every edge)
        # with fine noise on top (any change of the filter shows in the averages).
        blocks = Image.frombytes(mode, (max(2, w // 37), max(2, h // 29)),
                                 rng.randbytes(max(2, w // 37) * max(2, h // 29) * channels))
        noise = rng.randbytes(w * h * channels)
        base = blocks.resize((w, h), Image.NEAREST).tobytes()
        pixels = bytes((b & 0xF0) | (n & 0x0F) for b, n in zip(base, noise))
        source = Image.frombytes(mode, (w, h), pixels)
        expected = source.resize((ow, oh), Image.BILINEAR, reducing_gap=3.0).tobytes()
        raw_in, raw_out = os.path.join(folder, "in.raw"), os.path.join(folder, "out.raw")
        with open(raw_in, "wb") as f:
            f.write(pixels)
        subprocess.run([resize_raw, raw_in, str(w), str(h), str(channels), str(ow), str(oh), raw_out], check=True)
        with open(raw_out, "rb") as f:
            actual = f.read()
        diffs = [abs(a - b) for a, b in zip(actual, expected)]
        worst, mean = max(diffs), sum(diffs) / len(diffs)
        ok = len(actual) == len(expected) and worst <= 2 and mean <= 0.5
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {mode} {w}x{h} -> {ow}x{oh}: max |vestis - PIL| = {worst}, mean = {mean:.3f}")
print(f"{len(cases) - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
