"""Short, runnable PyTorch code for what a page shows (the "PyTorch code" panel of each page).

One module per concept turns a page's current settings and arrays into a :class:`Snippet`: a
program that imports only torch, torchvision, numpy and math (plus the packages it names in
``Snippet.needs``, e.g. timm for the offline pretrained network), so a student can paste it into a
notebook, and that leaves its result in one variable (``Snippet.result_name``), which the tests
compare with what the page computes. Files it reads (the photo the model sees, trained weights)
travel beside it (``Snippet.files``). Never imports streamlit.

- :mod:`~cnnplay.snippets.conv`: ``conv2d`` (an ``nn.Conv2d`` with the page's kernel, bias and
  grid), ``photo_conv`` (a kernel over a photo-sized stand-in), ``conv_stack`` (a shrinking stack)
- :mod:`~cnnplay.snippets.pool`: ``pool2d`` (max, average, global average pooling)
- :mod:`~cnnplay.snippets.receptive`: ``layer_stack`` (an ``nn.Sequential`` with the field table)
- :mod:`~cnnplay.snippets.cost`: ``bottleneck`` (plain, bottleneck, separable, grouped blocks)
- :mod:`~cnnplay.snippets.detection`: ``nms`` (``torchvision.ops.nms`` / ``batched_nms``)
- :mod:`~cnnplay.snippets.segmentation`: ``unet`` (a self-contained U-Net / FCN module)
- :mod:`~cnnplay.snippets.text`: ``text_cnn`` (Kim's CNN), ``keras_stack``
- :mod:`~cnnplay.snippets.training`: ``side_by_side`` (MLP, CNN and FCN trained on the same
  batches), ``dense_to_conv`` (a trained dense layer as a convolution over a canvas)
- :mod:`~cnnplay.snippets.backbone`: the lines that load a page's ImageNet network and read its
  photo, shared by the three below
- :mod:`~cnnplay.snippets.pretrained`: ``prediction`` (top-5), ``feature_maps`` (a forward hook),
  ``explanations`` (saliency and Grad-CAM)
- :mod:`~cnnplay.snippets.transfer`: ``train_compare`` (scratch, frozen base + new head,
  fine-tuning)
- :mod:`~cnnplay.snippets.learned`: the What a CNN learned tabs (see its docstring)
"""

from cnnplay.snippets.common import ALLOWED_IMPORTS, Snippet, SnippetError

__all__ = ["ALLOWED_IMPORTS", "Snippet", "SnippetError"]
