import pytest
import torch

from cnnplay import device as D


def test_default_is_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv(D.DEVICE_ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(D, "_mps_available", lambda: False)
    assert D.get_device() == torch.device("cpu")
    monkeypatch.setattr(D, "_mps_available", lambda: True)
    assert D.get_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert D.get_device() == torch.device("cuda")


def test_env_override(monkeypatch):
    monkeypatch.setenv(D.DEVICE_ENV, "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert D.get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv(D.DEVICE_ENV, "cuda:0")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        D.get_device()


def test_label_and_threads(monkeypatch):
    assert D.device_label(torch.device("cpu")).startswith("CPU (")
    monkeypatch.setenv(D.THREADS_ENV, "1")
    assert D.default_thread_count() == 1
    monkeypatch.delenv(D.THREADS_ENV)
    assert D.default_thread_count(cpu_count=64) == D.MAX_DEFAULT_THREADS
    assert D.default_thread_count(cpu_count=2) == 2
    before = torch.get_num_threads()
    try:
        assert D.configure_torch_threads(1) == 1
        assert D.configure_torch_threads(1) == 1  # idempotent on reruns
    finally:
        torch.set_num_threads(before)
