"""Train an image classifier and report images per second and time to a target test accuracy.

Plain script: needs only PyTorch (and this repository's lib/ folder), no Jupyter, so it runs on a
bare GPU machine. One process:

    python benchmarks/train_images.py --model cnn --dataset fashion-mnist --compile

Several GPUs (or CPU processes with gloo), DistributedDataParallel:

    torchrun --nproc_per_node=4 benchmarks/train_images.py --model cnn --dataset fashion-mnist

Targets: Fashion-MNIST >= 0.90 test accuracy, the MNIST subset >= 0.97. Prints the device, the
dtype (bf16 autocast on CUDA, float32 elsewhere), whether torch.compile was used, images/s per
epoch and the wall time (compilation included) at which the target was first reached.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402

from dlcourse import torch as dtorch  # noqa: E402

TARGETS = {"fashion-mnist": 0.90, "mnist-subset": 0.97}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=sorted(TARGETS), default=None,
                   help="default: fashion-mnist when installed, else mnist-subset")
    p.add_argument("--model", choices=["softmax", "mlp", "cnn"], default="cnn")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=256, help="global batch (split across ranks)")
    p.add_argument("--learning-rate", type=float, default=2e-3, help="γ for Adam")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--device", choices=["cuda", "mps", "cpu"], default=None)
    p.add_argument("--n-train", type=int, default=None, help="use only the first N training images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="folder for the final weights (weights-rank<R>.pt)")
    args = p.parse_args(argv)

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = dtorch.pick_device(args.device, verbose=False)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    dataset = args.dataset or ("fashion-mnist" if (dtorch.FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").exists()
                               else "mnist-subset")
    data = dtorch.load_images(dataset)
    if args.n_train:
        data = data.subset(args.n_train, len(data.y_test))
    dtorch.seed_everything(args.seed)
    model = dtorch.make_model(args.model, data.n_features, data.n_classes)
    if world > 1:
        model = model.to(device)
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None)
    if rank == 0:
        print(f"device: {dtorch.describe(device)} x {world} process(es); dtype: "
              f"{'bfloat16 autocast' if device.type == 'cuda' else 'float32'}; compile: {args.compile}; "
              f"data: {data.name} ({len(data.y_train)} train / {len(data.y_test)} test); model: {args.model}")
    target = TARGETS[dataset]
    started = time.perf_counter()
    reached = []

    def report(history):
        elapsed = time.perf_counter() - started
        if not reached and history.test_accuracy[-1] >= target:
            reached.append(elapsed)
        if rank == 0:
            print(f"epoch {len(history.loss)}: loss {history.loss[-1]:.4f}  test accuracy "
                  f"{history.test_accuracy[-1]:.4f}  {history.images_per_second[-1]:,.0f} images/s  ({elapsed:.1f} s)")
        return False

    history = dtorch.train(model, data, epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                           device=device, seed=args.seed, compile=args.compile, progress=False, rank=rank,
                           world_size=world, on_epoch=report)
    if rank == 0:
        steady = history.images_per_second[1:] or history.images_per_second
        print(f"images/s (median after the first epoch): {sorted(steady)[len(steady) // 2]:,.0f}")
        print(f"time to {target:.0%} test accuracy: " + (f"{reached[0]:.2f} s" if reached else
                                                          f"not reached in {args.epochs} epochs"))
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        module = model.module if hasattr(model, "module") else model
        torch.save({"state": {k: v.cpu() for k, v in module.state_dict().items()},
                    "test_accuracy": history.test_accuracy[-1]}, Path(args.out) / f"weights-rank{rank}.pt")
    if world > 1:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
