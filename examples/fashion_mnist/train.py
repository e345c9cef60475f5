#!/usr/bin/python3
"""Train a small CNN on Fashion-MNIST and export it to ONNX.

Usage: train.py OUT_DIR [--data /usr/share/datasets/fashion-mnist]

Writes OUT_DIR/fashion_mnist.onnx, labels.txt, model.json, samples.npy,
samples.labels.npy and samples.logits.npy (torch's logits for the samples).
The data comes from Debian's dataset-fashion-mnist (IDX files, gzipped or
not). Training is seeded and single-pass, so reruns give the same model; when
the outputs exist and were made by this exact script, nothing is redone.
Run with Debian's /usr/bin/python3 (python3-torch 1.13, python3-onnx).

Input contract (also in model.json): "image" is float32 [batch,1,28,28]
holding raw pixel values 0..255 (uint8 cast to float); the graph itself
scales to 0..1 and standardises with the training set's mean and std.
"""
import argparse
import gzip
import hashlib
import json
import os
import struct
import time

import numpy as np
import onnx
import torch

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SEED = 1234
EPOCHS = 1          # one pass reaches ~89% test accuracy with this setup
BATCH = 64
LR = 2e-3
MEAN, STD = 0.2860, 0.3530   # Fashion-MNIST training-set pixel stats (0..1)
OUTPUTS = ["fashion_mnist.onnx", "labels.txt", "model.json", "samples.npy",
           "samples.labels.npy", "samples.logits.npy"]


def read_idx(data_dir, stem):
    """Reads an IDX file (stem like 'train-images-idx3-ubyte'), plain or .gz."""
    for name, opener in ((stem, open), (stem + ".gz", gzip.open)):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            with opener(path, "rb") as f:
                data = f.read()
            break
    else:
        raise SystemExit(f"{stem}(.gz) not found in {data_dir}; "
                         "install dataset-fashion-mnist or pass --data")
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:  # 0x08 = unsigned byte
        raise SystemExit(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(data_dir, split):
    images = read_idx(data_dir, f"{split}-images-idx3-ubyte")
    labels = read_idx(data_dir, f"{split}-labels-idx1-ubyte")
    x = torch.from_numpy(images.astype(np.float32)).unsqueeze(1)  # 0..255
    return x, torch.from_numpy(labels.astype(np.int64))


class FashionCNN(torch.nn.Module):
    """Takes raw 0..255 pixels; normalisation is part of the graph so that
    every client (C++ tests, HTTP users) feeds the same thing."""

    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2))
        self.classifier = torch.nn.Sequential(
            torch.nn.Flatten(),
            torch.nn.Linear(32 * 7 * 7, 128), torch.nn.ReLU(),
            torch.nn.Linear(128, 10))

    def forward(self, image):
        x = (image / 255.0 - MEAN) / STD
        return self.classifier(self.features(x))


def evaluate(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    return correct / len(x)


def train(model, x, y):
    gen = torch.Generator().manual_seed(SEED)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    model.train()
    for epoch in range(EPOCHS):
        order = torch.randperm(len(x), generator=gen)
        for step, i in enumerate(range(0, len(x), BATCH)):
            idx = order[i:i + BATCH]
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 200 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.3f}", flush=True)


def script_hash():
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def up_to_date(out_dir, digest):
    if not all(os.path.exists(os.path.join(out_dir, n)) for n in OUTPUTS):
        return False
    try:
        with open(os.path.join(out_dir, "model.json")) as f:
            return json.load(f).get("script_sha256") == digest
    except (OSError, ValueError):
        return False


def write_atomic(path, write):
    """Writes via a temporary name so a killed run leaves no half file."""
    tmp = path + ".tmp"
    write(tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = ap.parse_args()
    digest = script_hash()
    if up_to_date(args.out_dir, digest):
        print(f"{args.out_dir}: fashion_mnist up to date")
        return
    os.makedirs(args.out_dir, exist_ok=True)

    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    start = time.time()
    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    model = FashionCNN()
    train(model, train_x, train_y)
    accuracy = evaluate(model, test_x, test_y)
    train_s = time.time() - start
    print(f"test accuracy {accuracy:.4f} after {train_s:.1f}s")
    if accuracy < 0.85:
        raise SystemExit(f"test accuracy {accuracy:.4f} below 0.85; not exporting")

    # Samples: the first 8 test images, in the model's input format.
    samples = test_x[:8].clone()
    with torch.no_grad():
        logits = model(samples)
    out = lambda name: os.path.join(args.out_dir, name)  # noqa: E731
    write_atomic(out("fashion_mnist.onnx"), lambda p: torch.onnx.export(
        model, samples[:2], p, opset_version=13,
        input_names=["image"], output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        do_constant_folding=True))
    onnx.checker.check_model(out("fashion_mnist.onnx"))
    with open(out("samples.npy"), "wb") as f:  # np.save on a path adds .npy
        np.save(f, samples.numpy())
    with open(out("samples.labels.npy"), "wb") as f:
        np.save(f, test_y[:8].numpy())
    with open(out("samples.logits.npy"), "wb") as f:
        np.save(f, logits.numpy())
    with open(out("labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")

    meta = {
        "model": "fashion_mnist.onnx",
        "opset": 13,
        "input": {"name": "image", "dtype": "float32",
                  "shape": ["batch", 1, 28, 28]},
        "output": {"name": "logits", "dtype": "float32", "shape": ["batch", 10]},
        "normalisation": {
            "feed": "raw pixel values 0..255 as float32 (uint8 cast to float), "
                    "0 = background",
            "in_graph": f"x = (image / 255 - {MEAN}) / {STD}",
            "mean": MEAN, "std": STD},
        "labels": "labels.txt",
        "samples": {"images": "samples.npy", "labels": "samples.labels.npy",
                    "logits": "samples.logits.npy",
                    "note": "first 8 images of the t10k test set"},
        "test_accuracy": round(accuracy, 4),
        "train": {"epochs": EPOCHS, "batch": BATCH, "optimizer": "Adam",
                  "lr": LR, "seed": SEED, "seconds": round(train_s, 1),
                  "torch": torch.__version__},
        "script_sha256": digest,   # written last: marks the set complete
    }
    def write_meta(path):
        with open(path, "w") as f:
            json.dump(meta, f, indent=1)
    write_atomic(out("model.json"), write_meta)


if __name__ == "__main__":
    main()
