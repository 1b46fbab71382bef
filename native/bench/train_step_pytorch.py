"""Baseline for bench_train_step: the same full landmark-attention network, loss and Adam
step written in PyTorch (Python, eager), as the reference implementation is, in float32 and
under autocast (bfloat16 on the CPU; float16 with GradScaler on CUDA). Prints one JSON line.
VESTIS_BENCH_DEVICE and VESTIS_BENCH_BATCH as for the C++ benchmark.

Also an independent check of the architecture: it asserts the published parameter count."""
import json
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

C, A, L = 48, 1000, 8
DEVICE = torch.device(os.environ.get("VESTIS_BENCH_DEVICE") or "cpu")
BATCH = max(1, int(os.environ.get("VESTIS_BENCH_BATCH") or 8))


def conv(i, o, k=3):
    return nn.Conv2d(i, o, k, padding=k // 2)


class LandmarkAttention(nn.Module):
    def __init__(self):
        super().__init__()
        cfg = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
               (256, 512), (512, 512), (512, 512)]
        self.vgg = nn.ModuleList(conv(i, o) for i, o in cfg)
        self.pool_after = {1, 3, 6}
        lm = [conv(512, 64, 1), conv(64, 64), conv(64, 64), conv(64, 128), nn.ConvTranspose2d(128, 64, 4, 2, 1),
              conv(64, 64), conv(64, 64), nn.ConvTranspose2d(64, 32, 4, 2, 1), conv(32, 32), conv(32, 32),
              nn.ConvTranspose2d(32, 16, 4, 2, 1), conv(16, 16)]
        self.lm = nn.ModuleList(lm)
        self.lm_out = conv(16, L, 1)
        lrelu = lambda: nn.LeakyReLU(0.2)
        self.outer_down = nn.Conv2d(513, 32, 1, bias=False)
        self.down1 = nn.Sequential(lrelu(), nn.Conv2d(32, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64))
        self.down2 = nn.Sequential(lrelu(), nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128))
        self.inner = nn.Sequential(lrelu(), nn.Conv2d(128, 128, 1, bias=False), nn.ReLU(),
                                   nn.ConvTranspose2d(128, 128, 1), nn.BatchNorm2d(128))
        self.up2 = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(256, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64))
        self.up1 = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(128, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32))
        self.outer_up = nn.ConvTranspose2d(64, 512, 1)
        self.conv5 = nn.ModuleList(conv(512, 512) for _ in range(3))
        self.cat1, self.cat2 = nn.Linear(25088, 1024), nn.Linear(1024, C)
        self.att1, self.att2 = nn.Linear(25088, 1024), nn.Linear(1024, 2 * A)

    def forward(self, x):
        for i, layer in enumerate(self.vgg):
            x = F.relu(layer(x))
            if i in self.pool_after:
                x = F.max_pool2d(x, 2)
        c43 = x
        h = c43
        for layer in self.lm:
            h = F.relu(layer(h))
        heat = self.lm_out(h)
        merged = F.interpolate(heat.max(1, keepdim=True)[0], size=c43.shape[2:], mode="bilinear", align_corners=False)
        d0 = self.outer_down(torch.cat([merged, c43], 1))
        d1 = self.down1(d0)
        d2 = self.down2(d1)
        u = torch.cat([d1, self.up2(torch.cat([d2, self.inner(d2)], 1))], 1)
        u = torch.cat([d0, self.up1(u)], 1)
        att = torch.tanh(self.outer_up(F.relu(u)))
        x = F.max_pool2d((1 + att) * c43, 2)
        for layer in self.conv5:
            x = F.relu(layer(x))
        x = F.max_pool2d(x, 2).flatten(1)
        return self.cat2(F.relu(self.cat1(x))), self.att2(F.relu(self.att1(x))).view(-1, 2, A), heat


torch.set_num_threads(os.cpu_count() or 1)   # as the C++ benchmark: every core
torch.manual_seed(0)
net = LandmarkAttention().train()
parameters = sum(p.numel() for p in net.parameters())
assert parameters == 69_218_600, parameters
net = net.to(DEVICE)
adam = torch.optim.Adam(net.parameters(), lr=1e-4)
images = torch.randn(BATCH, 3, 224, 224, device=DEVICE)
category = torch.randint(0, C, (BATCH,), device=DEVICE)
attributes = torch.randint(0, 2, (BATCH, A), device=DEVICE)
heatmaps = torch.rand(BATCH, L, 224, 224, device=DEVICE)
visible = torch.randint(0, 2, (BATCH, L), device=DEVICE).float()
attribute_weight = torch.tensor([0.1, 1.0], device=DEVICE)
amp_dtype = torch.float16 if DEVICE.type == "cuda" else torch.bfloat16
if hasattr(torch, "amp") and hasattr(torch.amp, "GradScaler"):
    scaler = torch.amp.GradScaler(DEVICE.type, enabled=DEVICE.type == "cuda")
else:   # PyTorch before 2.3 (Debian 12's 1.13)
    scaler = torch.cuda.amp.GradScaler(enabled=DEVICE.type == "cuda")


def step(amp):
    adam.zero_grad()
    with torch.autocast(DEVICE.type, dtype=amp_dtype, enabled=amp):
        cat, att, heat = net(images)
        loss = (F.cross_entropy(cat, category) + 20 * F.cross_entropy(att, attributes, weight=attribute_weight)
                + 10 * (visible[:, :, None, None] * (heat - heatmaps)).pow(2).mean())
    if amp:
        scaler.scale(loss).backward()
        scaler.step(adam)
        scaler.update()
    else:
        loss.backward()
        adam.step()
    return loss.item()   # waits for the device


def images_per_second(amp):
    warm_up, timed = (3, 20) if DEVICE.type == "cuda" else (1, 4)   # as the C++ benchmark
    for _ in range(warm_up):
        step(amp)
    start = time.perf_counter()
    for _ in range(timed):
        step(amp)
    return BATCH * timed / (time.perf_counter() - start)


float32 = images_per_second(False)
mixed = images_per_second(True)
print(json.dumps({"pytorch_images_per_second": float32, "pytorch_amp_images_per_second": mixed,
                  "pytorch_seconds_per_step": BATCH / float32, "device": str(DEVICE), "batch": BATCH,
                  "threads": torch.get_num_threads(), "parameters": parameters, "torch": torch.__version__}))
