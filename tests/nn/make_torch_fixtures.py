"""Writes test fixtures with PyTorch itself (Debian's python3-torch / python3-torchvision):
the reference implementation the C++ readers and networks are checked against.

  vgg16.pth          torchvision vgg16().state_dict(), as torch.save writes it
  vgg16_outputs.pth  an input and torchvision's VGG16 features at conv4_3 (after ReLU) and pool5
  vgg16_missing.pth  the same state_dict without features.10.weight
  tensors.pth        float, double, int64 and a non-contiguous (transposed) tensor
"""
import os
import sys

import torch
import torchvision

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(3)
vgg = torchvision.models.vgg16().eval()   # random weights: no download
state = vgg.state_dict()
torch.save(state, os.path.join(out, "vgg16.pth"))
x = torch.randn(2, 3, 64, 64)
with torch.no_grad():
    conv4_3 = vgg.features[:23](x)   # up to and including the ReLU after conv4_3
    pool5 = vgg.features(x)
torch.save({"input": x, "conv4_3": conv4_3, "pool5": pool5}, os.path.join(out, "vgg16_outputs.pth"))
missing = dict(state)
del missing["features.10.weight"]
torch.save(missing, os.path.join(out, "vgg16_missing.pth"))
torch.save({
    "float": torch.tensor([[1.5, -2.0, 3.25]]),
    "double": torch.tensor([0.1, 0.2], dtype=torch.float64),
    "long": torch.tensor([7, -3, 1 << 40]),
    "transposed": torch.arange(6, dtype=torch.float32).reshape(2, 3).t(),
}, os.path.join(out, "tensors.pth"))
print(f"make_torch_fixtures: wrote {out}")
