"""Writes test fixtures with PyTorch itself (Debian's python3-torch / python3-torchvision):
the reference implementation the C++ readers and networks are checked against.

  vgg16.pth          torchvision vgg16().state_dict(), as torch.save writes it
  vgg16_outputs.pth  an input and torchvision's VGG16 features at conv4_3 (after ReLU) and pool5
  vgg16_features.pth its convolutions (features.*): the tests that need no classifier (which
                     Vestis does not load) read 59 MB instead of 553
  vgg16_missing.pth  the same without features.10.weight
  tensors.pth        float, double, int64 and a non-contiguous (transposed) tensor
  <net>.pth, <net>_outputs.pth  for vgg16_bn, resnet18, resnet50, mobilenet_v2,
                     mobilenet_v2_035 (width_mult 0.35) and mobilenet_v2_tf_padding (TensorFlow's
                     SAME padding on the stride-2 convolutions): the state_dict (random weights, BatchNorm
                     statistics and affine made random too, so they matter) and an input with the
                     network's stride-8 map and last feature map
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
features = {k: v for k, v in state.items() if k.startswith("features.")}
torch.save(features, os.path.join(out, "vgg16_features.pth"))
missing = dict(features)
del missing["features.10.weight"]
torch.save(missing, os.path.join(out, "vgg16_missing.pth"))
torch.save({
    "float": torch.tensor([[1.5, -2.0, 3.25]]),
    "double": torch.tensor([0.1, 0.2], dtype=torch.float64),
    "long": torch.tensor([7, -3, 1 << 40]),
    "transposed": torch.arange(6, dtype=torch.float32).reshape(2, 3).t(),
}, os.path.join(out, "tensors.pth"))


def randomise_batch_norms(net):
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
            m.num_batches_tracked.fill_(7)


def resnet_maps(net, x):
    x = net.maxpool(net.relu(net.bn1(net.conv1(x))))
    stride8 = net.layer2(net.layer1(x))
    return stride8, net.layer4(net.layer3(stride8))


def tf_padded(net):
    """TensorFlow's SAME padding on the stride-2 3x3 convolutions: 0 before, 1 after (even sizes)."""
    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d) and m.stride == (2, 2) and m.kernel_size == (3, 3):
            m.padding = (0, 0)
            m.register_forward_pre_hook(lambda module, inputs: (torch.nn.functional.pad(inputs[0], (0, 1, 0, 1)),))
    return net


backbones = {
    "vgg16_bn": (lambda: torchvision.models.vgg16_bn(), lambda n, x: (n.features[:33](x), n.features(x)), "features."),
    "resnet18": (lambda: torchvision.models.resnet18(), resnet_maps, ""),
    "resnet50": (lambda: torchvision.models.resnet50(), resnet_maps, ""),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(), lambda n, x: (n.features[:7](x), n.features(x)), ""),
    "mobilenet_v2_035": (lambda: torchvision.models.mobilenet_v2(width_mult=0.35),
                         lambda n, x: (n.features[:7](x), n.features(x)), ""),
    "mobilenet_v2_tf_padding": (lambda: tf_padded(torchvision.models.mobilenet_v2()),
                                lambda n, x: (n.features[:7](x), n.features(x)), ""),
}
for name, (make, maps, keep) in backbones.items():
    net = make().eval()
    with torch.no_grad():
        randomise_batch_norms(net)
    state = {k: v for k, v in net.state_dict().items() if k.startswith(keep)}   # vgg16_bn: its features only
    torch.save(state, os.path.join(out, f"{name}.pth"))
    x = torch.randn(1, 3, 96, 96)
    with torch.no_grad():
        stride8, final = maps(net, x)
    torch.save({"input": x, "stride8": stride8, "final": final}, os.path.join(out, f"{name}_outputs.pth"))

print(f"make_torch_fixtures: wrote {out}")
