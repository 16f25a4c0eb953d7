"""Network building blocks shared by the denoiser models of every plugin."""

from smdiff.nn.blocks import ChannelEmbedding, ChannelHeads, TransformerStack

__all__ = ["ChannelEmbedding", "ChannelHeads", "TransformerStack"]
