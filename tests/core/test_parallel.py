"""Units of work over worker processes: results in order, the same bytes whatever the worker
count, each unit with the fixed thread count."""

import hashlib

import pytest
import torch

from rashomon.core import parallel
from rashomon.core.parallel import UNIT_THREADS, map_units, worker_count


def train_hash(seed: int) -> tuple[int, int, str]:
    """A few Adam steps of a small conv net (threaded kernels: conv, matmul, reductions): the
    thread count this unit ran with, and the hash of the trained weights."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(16 * 30 * 30, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x, y = torch.randn(64, 3, 32, 32), torch.randn(64, 1)
    for _ in range(5):
        opt.zero_grad()
        torch.nn.functional.mse_loss(net(x), y).backward()
        opt.step()
    digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in net.parameters())).hexdigest()
    return seed, torch.get_num_threads(), digest


def test_one_worker_and_two_give_the_same_bytes_in_order():
    threads = torch.get_num_threads()
    one = map_units(train_hash, [3, 1, 2], workers=1, desc="test")
    two = map_units(train_hash, [3, 1, 2], workers=2, desc="test")
    assert one == two
    assert [seed for seed, _, _ in one] == [3, 1, 2]                 # in the units' order
    assert {n for _, n, _ in one} == {UNIT_THREADS}                  # every unit with the fixed count
    assert len({digest for _, _, digest in one}) == 3                # the units differ: the hash is not constant
    assert torch.get_num_threads() == threads                        # the caller's setting restored


def test_a_units_error_reaches_the_stage():
    with pytest.raises(ZeroDivisionError):
        map_units(divide_into_one, [1, 0], workers=2, desc="test")


def divide_into_one(x: int) -> float:
    return 1 / x


@pytest.mark.parametrize("requested, units, cores, expected", [
    (None, 5, 2, 2), (None, 1, 16, 1), (3, 5, 2, 3), (4, 2, 16, 2), (1, 5, 16, 1),
])
def test_worker_count(monkeypatch, requested, units, cores, expected):
    monkeypatch.setattr(parallel, "available_cores", lambda: cores)
    assert worker_count(requested, units) == expected
