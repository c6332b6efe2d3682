"""The study workload in PyTorch on the CPU, for `deno task bench` to measure against in one run:
sequences of T steps of F features, one LSTM of U units, dropout 0.1, Linear(U, 1) and a sigmoid,
binary cross-entropy, RMSprop 0.001, batch B (the network of Fischer & Krauss 2018 and Ghosh,
Neufeld & Sahoo 2022, as src/model/architectures.ts builds `paper`). Random windows and labels.
Prints seconds and windows per second of each of two epochs (the second is warm), then windows per
second of batch prediction (eval mode, no gradients, batch B) over the same windows.
Usage: python3 torch_fk_anchor.py THREADS N [F=1] [B=512] [U=25] [T=240]
Needs Debian's python3-torch and libopenblas0-pthread."""
import sys
import time

import torch
import torch.nn as nn

threads, n = int(sys.argv[1]), int(sys.argv[2])
F, B, U, T = (int(sys.argv[i]) if len(sys.argv) > i else d for i, d in ((3, 1), (4, 512), (5, 25), (6, 240)))
torch.set_num_threads(threads)
torch.manual_seed(0)


class Paper(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(F, U, batch_first=True)
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(U, 1)

    def forward(self, x):
        y, _ = self.lstm(x)
        return torch.sigmoid(self.head(self.drop(y[:, -1])))


model = Paper()
optimizer = torch.optim.RMSprop(model.parameters(), 1e-3)
loss = nn.BCELoss()
x = torch.randn(n, T, F)
y = (torch.rand(n, 1) > 0.5).float()
for epoch in range(2):
    started = time.perf_counter()
    model.train()
    for i in range(0, n, B):
        optimizer.zero_grad()
        loss(model(x[i:i + B]), y[i:i + B]).backward()
        optimizer.step()
    seconds = time.perf_counter() - started
    print(f"epoch_s {seconds:.2f} windows_per_s {n / seconds:.0f}", flush=True)

model.eval()
with torch.no_grad():
    model(x[:B])
    started = time.perf_counter()
    for i in range(0, n, B):
        model(x[i:i + B])
    seconds = time.perf_counter() - started
print(f"predict_s {seconds:.2f} predict_windows_per_s {n / seconds:.0f}", flush=True)
