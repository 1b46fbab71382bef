#!/usr/bin/env python3
"""vestis-viewer in a real window under Xvfb (Mesa's llvmpipe gives OpenGL).

    check_viewer.py CASE

Each case runs the viewer in one of its test modes (--screenshot, --dump-state, --measure)
on the exported test models and checks what it showed: the PNG's size and the overlay colours
where the landmarks are, the displayed tags against `vestis predict --json`, bad inputs as
messages in the window, presentation mode, ground truth, and the frame rate.

Environment: VESTIS_VIEWER, VESTIS (the command), VESTIS_TEST_MODELS (the fixture folder),
VESTIS_XVFB_RUN, VESTIS_VIEWER_OUT (where screenshots are kept), VESTIS_VIEWER_MIN_FPS.
"""
import glob
import json
import math
import os
import shutil
import subprocess
import sys
import zlib

from PIL import Image, ImageChops

VIEWER = os.environ["VESTIS_VIEWER"]
VESTIS = os.environ["VESTIS"]
FIXTURE = os.environ["VESTIS_TEST_MODELS"]
XVFB_RUN = os.environ.get("VESTIS_XVFB_RUN", "xvfb-run")
SCREEN = (1280, 800)
DATA = os.path.join(FIXTURE, "data")
# The same code computes both sides; the tolerance only absorbs thread-count differences.
PROBABILITY_TOLERANCE = 1e-5
MESSAGE_RED = (230, 55, 45)   # photo_pane.cpp: miss_colour, also the colour of errors


class CheckFailed(Exception):
    pass


def check(condition, what):
    if not condition:
        raise CheckFailed(what)


def model(name):
    return os.path.join(FIXTURE, "models", name)


def out_dir(case):
    path = os.path.join(os.environ.get("VESTIS_VIEWER_OUT", "/tmp/vestis-viewer-tests"), case)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def data_photos():
    photos = sorted(glob.glob(os.path.join(DATA, "img", "*", "*.jpg")))
    check(photos, f"no photos under {DATA}/img")
    return photos


def xvfb_run():
    """xvfb-run -a picks the first free display from -n on; cases run in parallel start from
    different numbers, so two never race for the same display."""
    case = sys.argv[1] if len(sys.argv) > 1 else ""
    first_display = 100 + zlib.crc32(case.encode()) % 800
    return [XVFB_RUN, "-a", "-n", str(first_display), "-s", f"-screen 0 {SCREEN[0]}x{SCREEN[1]}x24"]


def run_viewer(*args, timeout=180):
    command = [*xvfb_run(), VIEWER, *args]
    print("$", " ".join(command), flush=True)
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    sys.stdout.write(done.stdout)
    sys.stdout.write(done.stderr)
    check(done.returncode == 0, f"vestis-viewer exited with {done.returncode}")
    return done


def predict(model_dir, photo, *args):
    command = [VESTIS, "predict", "--model", model_dir, photo, "--json", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    check(done.returncode == 0, f"{' '.join(command)} failed: {done.stderr}")
    return json.loads(done.stdout)["images"][0]


def load_state(path):
    with open(path) as f:
        state = json.load(f)
    check(state["format"] == "vestis-viewer-state" and state["version"] == 1, "unexpected state format")
    return state


def bbox_arguments(shown):
    if shown["bbox"] is None:
        return []
    return ["--bbox", ",".join(f"{v:g}" for v in shown["bbox"])]


def same_prediction(shown, reference, label):
    """What the viewer displays equals `vestis predict --json` (names, order, probabilities)."""
    check(shown["error"] is None, f"{label}: the model failed: {shown['error']}")
    check(os.path.abspath(shown["image"]) == os.path.abspath(reference["image"]), f"{label}: different photos")
    check((shown["width"], shown["height"]) == (reference["width"], reference["height"]), f"{label}: photo size")
    check(shown["bbox"] == reference["bbox"], f"{label}: bbox {shown['bbox']} != {reference['bbox']}")

    def same_tags(a, b, what):
        check([t["name"] for t in a] == [t["name"] for t in b], f"{label}: {what}: {[t['name'] for t in a]} != {[t['name'] for t in b]}")
        check([t["index"] for t in a] == [t["index"] for t in b], f"{label}: {what}: indices differ")
        for x, y in zip(a, b):
            check(abs(x["probability"] - y["probability"]) <= PROBABILITY_TOLERANCE,
                  f"{label}: {what} {x['name']}: {x['probability']} != {y['probability']}")

    same_tags(shown["categories"], reference["categories"], "categories")
    check(list(shown["attributes"]) == list(reference["attributes"]), f"{label}: attribute types differ")
    for kind in reference["attributes"]:
        same_tags(shown["attributes"][kind], reference["attributes"][kind], f"attributes {kind}")
    check([l["name"] for l in shown["landmarks"]] == [l["name"] for l in reference["landmarks"]], f"{label}: landmark names")
    # Positions in photo pixels: the same tolerance, relative to the photo's size.
    position_tolerance = PROBABILITY_TOLERANCE * max(reference["width"], reference["height"])
    for a, b in zip(shown["landmarks"], reference["landmarks"]):
        check(abs(a["x"] - b["x"]) <= position_tolerance and abs(a["y"] - b["y"]) <= position_tolerance,
              f"{label}: landmark {a['name']}: ({a['x']}, {a['y']}) != ({b['x']}, {b['y']})")
        check(abs(a["confidence"] - b["confidence"]) <= PROBABILITY_TOLERANCE, f"{label}: landmark {a['name']} confidence")
        check(abs(a["second_peak"] - b["second_peak"]) <= PROBABILITY_TOLERANCE, f"{label}: landmark {a['name']} second peak")
    print(f"{label}: {len(shown['categories'])} categories, "
          f"{sum(len(t) for t in shown['attributes'].values())} attribute tags and {len(shown['landmarks'])} landmarks "
          "equal vestis predict --json")


def near(colour, expected, tolerance=8):
    return all(abs(int(c) - int(e)) <= tolerance for c, e in zip(colour[:3], expected))


def count_colour(picture, box, colour, tolerance=30):
    crop = picture.convert("RGB").crop(tuple(int(v) for v in box))
    return sum(1 for pixel in crop.getdata() if near(pixel, colour, tolerance))


def changed_pixels(a, b, threshold=24):
    """A mask of the pixels where any channel differs by more than `threshold`."""
    channels = ImageChops.difference(a, b).split()
    strongest = ImageChops.lighter(ImageChops.lighter(channels[0], channels[1]), channels[2])
    return strongest.point(lambda v: 255 if v > threshold else 0)


def count_set(mask):
    return mask.histogram()[255]


def to_screen(rect, width, height, x, y):
    """Photo pixel centre -> window pixel, as displayed_state.cpp's to_screen."""
    return rect[0] + (x + 0.5) * rect[2] / width, rect[1] + (y + 0.5) * rect[3] / height


# ---------------------------------------------------------------------------------------------

def case_screenshot_landmarks():
    """The PNG has the window's size and landmark colours where `vestis predict` puts landmarks."""
    out = out_dir("screenshot_landmarks")
    photo = data_photos()[0]
    common = ["--model", model("tiny-full"), photo, "--size", "1024x700", "--no-names", "--no-truth"]
    run_viewer(*common, "--screenshot", f"{out}/shown.png", "--dump-state", f"{out}/shown.json")
    run_viewer(*common, "--no-landmarks", "--screenshot", f"{out}/hidden.png")
    shown_png, hidden_png = Image.open(f"{out}/shown.png"), Image.open(f"{out}/hidden.png")
    check(shown_png.size == (1024, 700), f"screenshot is {shown_png.size}, the window is 1024x700")
    check(hidden_png.size == (1024, 700), f"second screenshot is {hidden_png.size}")

    shown = load_state(f"{out}/shown.json")["predictions"][0]
    reference = predict(model("tiny-full"), photo, *bbox_arguments(shown))
    rect = shown["image_rect"]
    check(rect[2] > 100 and rect[3] > 100, f"the photo is drawn at {rect}")
    colours = [tuple(l["colour"]) for l in shown["landmarks"]]
    shown_rgb, hidden_rgb = shown_png.convert("RGB"), hidden_png.convert("RGB")
    marked = 0
    for k, landmark in enumerate(reference["landmarks"]):
        x, y = to_screen(rect, reference["width"], reference["height"], landmark["x"], landmark["y"])
        at = (math.floor(x), math.floor(y))   # pixel i covers [i, i + 1)
        pixel = shown_rgb.getpixel(at)
        # Markers may overlap: the pixel shows this landmark's colour or a later one's.
        check(any(near(pixel, c) for c in colours[k:]), f"{landmark['name']}: pixel {pixel} at ({x:.1f}, {y:.1f}) is no marker colour")
        if near(pixel, colours[k]):
            marked += 1
        without = hidden_rgb.getpixel(at)
        check(not any(near(without, c) for c in colours), f"{landmark['name']}: the photo itself has a marker colour {without}")
    check(marked >= len(reference["landmarks"]) // 2, f"only {marked} landmarks show their own colour")
    print(f"{len(reference['landmarks'])} landmarks drawn where vestis predict puts them ({marked} in their own colour)")


def case_overlays():
    """Heatmap and attention change pixels on the photo only."""
    out = out_dir("overlays")
    photo = data_photos()[0]
    common = ["--model", model("tiny-full"), photo, "--no-landmarks", "--no-truth", "--opacity", "1"]
    run_viewer(*common, "--screenshot", f"{out}/plain.png", "--dump-state", f"{out}/plain.json")
    rect = load_state(f"{out}/plain.json")["predictions"][0]["image_rect"]
    plain = Image.open(f"{out}/plain.png").convert("RGB")
    for overlay in ("heatmap", "attention"):
        run_viewer(*common, f"--{overlay}", "--screenshot", f"{out}/{overlay}.png")
        picture = Image.open(f"{out}/{overlay}.png").convert("RGB")
        # The rows of the photo, full width (the toolbar's check box, the timings and the frame
        # rate in the status bar change too): differences only on the photo.
        below = (0, int(rect[1]), plain.size[0], int(rect[1] + rect[3]) + 2)
        changed = changed_pixels(plain.crop(below), picture.crop(below))
        photo = (int(rect[0]) - 1, 0, int(rect[0] + rect[2]) + 2, int(rect[3]) + 2)
        inside = count_set(changed.crop(photo))
        outside = count_set(changed) - inside
        print(f"{overlay}: {inside} pixels changed on the photo, {outside} elsewhere")
        check(inside >= 30, f"the {overlay} overlay changed only {inside} pixels of the photo")
        check(outside == 0, f"the {overlay} overlay changed {outside} pixels outside the photo")


def case_dump_state_matches_predict():
    """--dump-state shows the tags, probabilities and landmarks of `vestis predict --json`."""
    out = out_dir("dump_state_matches_predict")
    photo = data_photos()[3]
    runs = [
        ("tiny-full", [], []),                                   # data set photo: cropped to its box
        ("tiny-full-int8", ["--whole-photo"], []),
        ("tiny-resnet18", ["--whole-photo", "--threshold", "0.5", "--top-attributes", "3"],
         ["--threshold", "0.5", "--top-attributes", "3"]),
    ]
    for name, viewer_args, predict_args in runs:
        state_path = f"{out}/{name}.json"
        run_viewer("--model", model(name), photo, *viewer_args, "--dump-state", state_path)
        state = load_state(state_path)
        check(len(state["predictions"]) == 1, f"{name}: {len(state['predictions'])} predictions shown")
        shown = state["predictions"][0]
        check(("--whole-photo" in viewer_args) == (shown["bbox"] is None), f"{name}: bbox {shown['bbox']}")
        same_prediction(shown, predict(model(name), photo, *bbox_arguments(shown), *predict_args), name)


def case_tagger():
    """A tagger (no categories, landmarks or attention): tags from its card's threshold, as
    `vestis predict` lists them without --threshold, and no overlay offered."""
    out = out_dir("tagger")
    photo = data_photos()[1]
    with open(os.path.join(model("tiny-tags"), "card.json")) as f:
        card = json.load(f)
    run_viewer("--model", model("tiny-tags"), photo, "--dump-state", f"{out}/state.json")
    state = load_state(f"{out}/state.json")
    overlays = state["models"][0]["overlays"]
    check(overlays == {"landmarks": False, "attention": False}, f"overlays offered: {overlays}")
    check(abs(state["settings"]["threshold"] - card["threshold"]) < 1e-6,
          f"threshold {state['settings']['threshold']}, the card's is {card['threshold']}")
    shown = state["predictions"][0]
    check(not shown["categories"], f"categories shown: {shown['categories']}")
    same_prediction(shown, predict(model("tiny-tags"), photo, *bbox_arguments(shown)), "tiny-tags")
    print(f"tagger: threshold {card['threshold']:.3f} from the card, no overlays offered")


def case_compare_matches_predict():
    """--compare shows two panes side by side, each equal to its own model's `vestis predict`."""
    out = out_dir("compare_matches_predict")
    photo = data_photos()[-1]
    run_viewer("--model", model("tiny-full"), "--compare", model("tiny-resnet18"), photo, "--heatmap",
               "--screenshot", f"{out}/compare.png", "--dump-state", f"{out}/compare.json")
    state = load_state(f"{out}/compare.json")
    check([p["slot"] for p in state["predictions"]] == ["model", "compare"], "two panes expected")
    for shown, name in zip(state["predictions"], ("tiny-full", "tiny-resnet18")):
        check(shown["model"]["name"] == name, f"pane shows {shown['model']['name']}, expected {name}")
        same_prediction(shown, predict(model(name), photo, *bbox_arguments(shown)), name)
    left, right = state["predictions"][0]["image_rect"], state["predictions"][1]["image_rect"]
    check(left[0] + left[2] <= right[0], f"panes overlap: {left} and {right}")
    check(Image.open(f"{out}/compare.png").size == (1280, 800), "compare screenshot size")


def case_bad_image():
    """An unreadable or missing photo is a message in the window, and the viewer exits 0."""
    out = out_dir("bad_image")
    bad = f"{out}/not-a-photo.jpg"
    with open(bad, "w") as f:
        f.write("this is not a JPEG")
    for photo, expected in ((bad, "not a decodable image"), (f"{out}/missing.jpg", "no such file")):
        stem = os.path.basename(photo)
        run_viewer("--model", model("tiny-full"), photo, "--screenshot", f"{out}/{stem}.png", "--dump-state", f"{out}/{stem}.json")
        state = load_state(f"{out}/{stem}.json")
        check(state["photo"]["error"] and expected in state["photo"]["error"], f"photo error: {state['photo']['error']}")
        check(any(expected in m for m in state["messages"]), f"no message says '{expected}'")
        check(state["predictions"] == [], "predictions shown for a photo that cannot be read")
        picture = Image.open(f"{out}/{stem}.png")
        check(picture.size == SCREEN, f"screenshot size {picture.size}")
        red = count_colour(picture, (0, 60, SCREEN[0], SCREEN[1]), MESSAGE_RED)
        check(red > 100, f"only {red} pixels of the error message colour in the window")
        print(f"{stem}: '{state['photo']['error']}' shown in the window ({red} red pixels)")


def case_bad_model():
    """A model folder that cannot be used is a message in the window; the photo is still shown."""
    out = out_dir("bad_model")
    photo = data_photos()[0]
    broken_card = f"{out}/broken-card"
    os.makedirs(broken_card)
    with open(f"{broken_card}/card.json", "w") as f:
        f.write("{}")
    broken_graph = f"{out}/broken-graph"
    os.makedirs(broken_graph)
    shutil.copy(os.path.join(model("tiny-full"), "card.json"), broken_graph)
    with open(f"{broken_graph}/model.onnx", "wb") as f:
        f.write(b"\x08\x07garbage, not a protobuf")
    for folder in (broken_card, broken_graph, f"{out}/no-such-model"):
        stem = os.path.basename(folder)
        run_viewer("--model", folder, photo, "--screenshot", f"{out}/{stem}.png", "--dump-state", f"{out}/{stem}.json")
        state = load_state(f"{out}/{stem}.json")
        status = state["models"][0]
        check(status["state"] == "error" and status["error"], f"model state {status}")
        check(any(folder in m for m in state["messages"]), "no message names the model folder")
        check(state["photo"]["error"] is None and state["photo"]["width"] > 0, "the photo should still be shown")
        red = count_colour(Image.open(f"{out}/{stem}.png"), (0, 60, SCREEN[0], SCREEN[1]), MESSAGE_RED)
        check(red > 100, f"only {red} pixels of the error message colour in the window")
        print(f"{stem}: '{status['error']}' shown in the window")


def case_presentation():
    """--present fills the screen (1280x800 under Xvfb) whatever the window size."""
    out = out_dir("presentation")
    run_viewer("--model", model("tiny-full"), data_photos()[0], "--present", "--size", "900x600",
               "--screenshot", f"{out}/present.png", "--dump-state", f"{out}/present.json")
    check(Image.open(f"{out}/present.png").size == SCREEN, "presentation mode is not full screen")
    state = load_state(f"{out}/present.json")
    check(state["settings"]["presentation"], "presentation setting off")
    check(state["framebuffer"] == list(SCREEN), f"framebuffer {state['framebuffer']}")


def case_data_set_folder():
    """A data set folder lists its photos; the ground truth marks hits and misses correctly."""
    out = out_dir("data_set_folder")
    photos = data_photos()
    run_viewer("--model", model("tiny-full"), DATA, "--threshold", "0.45", "--screenshot", f"{out}/truth.png",
               "--dump-state", f"{out}/truth.json")
    state = load_state(f"{out}/truth.json")
    check(state["photo"]["count"] == len(photos), f"{state['photo']['count']} photos listed, {len(photos)} in the set")
    check(os.path.abspath(state["photo"]["path"]) == os.path.abspath(photos[0]), "the first photo (sorted) is shown first")
    truth = state["ground_truth"]
    check(truth is not None, f"no ground truth: {state['ground_truth_note']}")
    check(os.path.samefile(truth["dataset"], DATA), f"data set root {truth['dataset']}")
    shown = state["predictions"][0]
    check(shown["bbox"] == truth["bbox"], "the prediction is not cropped to the annotated box")
    for c in shown["categories"]:
        check(c["truth"] == (c["name"] == truth["category"]), f"category {c['name']}: truth flag {c['truth']}")
    for kind, tags in shown["attributes"].items():
        for t in tags:
            check(t["truth"] == (t["name"] in truth["attributes"]), f"attribute {t['name']}: truth flag {t['truth']}")
    x1, y1, x2, y2 = truth["bbox"]
    annotated = {l["name"]: l for l in truth["landmarks"]}
    judged = 0
    for l in shown["landmarks"]:
        a = annotated.get(l["name"])
        if a is None or not a["visible"]:
            check(l["error"] is None, f"{l['name']}: error without a visible annotation")
            continue
        expected = math.hypot((l["x"] - a["x"]) / (x2 - x1), (l["y"] - a["y"]) / (y2 - y1))
        check(abs(l["error"] - expected) < 1e-4, f"{l['name']}: error {l['error']} != {expected}")
        judged += 1
    check(judged > 0, "no landmark compared with the annotations")
    print(f"ground truth of {truth['image']}: category {truth['category']}, {len(truth['attributes'])} attributes, "
          f"{judged} landmarks judged")


def case_keys_and_save():
    """Arrow keys step through a folder and Ctrl+S saves the view (keys sent through XTest)."""
    out = out_dir("keys_and_save")
    command = [*xvfb_run(), sys.executable, __file__, "keys_on_display", out]
    print("$", " ".join(command), flush=True)
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    sys.stdout.write(done.stdout + done.stderr)
    check(done.returncode == 0, "the key test failed on its display")


def keys_on_display(out):
    """Runs inside xvfb-run: starts the viewer on the data set, presses Right twice, then Ctrl+S."""
    import ctypes
    import time
    x11, xtest = ctypes.CDLL("libX11.so.6"), ctypes.CDLL("libXtst.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    xtest.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    xtest.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong]
    display = x11.XOpenDisplay(None)
    check(display, "cannot open the X display")

    photos = data_photos()
    log = open(f"{out}/viewer.log", "w+")
    viewer = subprocess.Popen([VIEWER, "--model", model("tiny-full"), DATA, "--save-dir", out], stdout=log, stderr=log)
    try:
        deadline = time.time() + 60
        while "loaded" not in open(f"{out}/viewer.log").read():
            check(time.time() < deadline and viewer.poll() is None, "the viewer did not load its model")
            time.sleep(0.1)
        time.sleep(1.0)
        xtest.XTestFakeMotionEvent(display, -1, SCREEN[0] // 2, SCREEN[1] // 2, 0)   # focus follows the pointer

        def key(keysym, down):
            xtest.XTestFakeKeyEvent(display, x11.XKeysymToKeycode(display, keysym), down, 0)
            x11.XFlush(display)
            time.sleep(0.15)   # held over a few frames: ImGui 1.86 sees presses per frame

        right, control, letter_s = 0xff53, 0xffe3, 0x73
        for _ in range(2):
            key(right, True), key(right, False)
            time.sleep(0.5)
        key(control, True), key(letter_s, True), key(letter_s, False), key(control, False)
        deadline = time.time() + 30
        while not glob.glob(f"{out}/vestis-*.png"):
            check(time.time() < deadline, "no view saved after Ctrl+S")
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        viewer.terminate()
        viewer.wait(timeout=30)
        log.seek(0)
        sys.stdout.write(log.read())
    saved = glob.glob(f"{out}/vestis-*.png")
    stem = os.path.splitext(os.path.basename(photos[2]))[0]
    check(len(saved) == 1 and os.path.basename(saved[0]).startswith(f"vestis-{stem}-"),
          f"saved {saved}, expected the third photo ({stem}) after two Right presses")
    check(Image.open(saved[0]).size == SCREEN, "the saved view has the window's size")
    print(f"Right, Right, Ctrl+S saved {os.path.basename(saved[0])}")


def case_measure():
    """Frames per second while the model runs, and the time from launch to the first result."""
    minimum = float(os.environ.get("VESTIS_VIEWER_MIN_FPS", "30"))
    done = run_viewer("--model", model("tiny-full"), DATA, "--measure", "--measure-seconds", "4")
    lines = [l for l in done.stdout.splitlines() if l.startswith("measure:") and "renderer" not in l]
    check(len(lines) == 2, "expected two measure: lines with figures")
    first_result_ms = float(lines[0].split("first result on screen at ")[1].split(" ms")[0])
    fps = float(lines[1].split(" frames/s")[0].split(", ")[-1])
    inferences = int(lines[1].split(" inferences")[0].split(": ")[-1])
    print(f"FIGURES: launch to first result {first_result_ms:.0f} ms; {fps:.1f} frames/s while the model ran "
          f"({inferences} inferences in 4 s)")
    check(inferences > 0, "the model did not run during the measurement")
    check(fps >= minimum, f"{fps:.1f} frames/s while the model runs, below {minimum}")


if __name__ == "__main__":
    cases = {name[len("case_"):]: f for name, f in globals().items() if name.startswith("case_")}
    if len(sys.argv) == 3 and sys.argv[1] == "keys_on_display":
        folder = sys.argv.pop()
        cases = {"keys_on_display": lambda: keys_on_display(folder)}
    if len(sys.argv) != 2 or sys.argv[1] not in cases:
        sys.exit(f"usage: check_viewer.py {{{','.join(cases)}}}")
    try:
        cases[sys.argv[1]]()
    except CheckFailed as failure:
        sys.exit(f"FAILED: {failure}")
    print("passed")
