"""Correct answers to HW7-Q8 (hw7/conditional_gan) written differently from
the reference; each replaces one item's whole solution region and must keep
every point."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "hw7/conditional_gan"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    """A whole-region replacement of `item` by `body` (indented as in the file)."""
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


ALTERNATIVES: list[Variant] = [
    rewrite(
        "one_hot_scatter",
        "get_one_hot_labels",
        "scatters ones into a zero tensor of shape labels.shape + (n_classes,) on labels' device.",
        """\
    one_hot = torch.zeros(*labels.shape, n_classes, dtype=torch.long, device=labels.device)
    return one_hot.scatter_(-1, labels.unsqueeze(-1), 1)
""",
    ),
    rewrite(
        "one_hot_eye_rows",
        "get_one_hot_labels",
        "indexes the rows of an identity matrix built on labels' device (a float one-hot).",
        """\
    return torch.eye(n_classes, device=labels.device)[labels]
""",
    ),
    rewrite(
        "one_hot_compare_arange",
        "get_one_hot_labels",
        "compares each label with every class index and casts the booleans to integers.",
        """\
    classes = torch.arange(n_classes, device=labels.device)
    return (labels.unsqueeze(-1) == classes).to(torch.int64)
""",
    ),
    rewrite(
        "combine_cast_after_cat",
        "combine_vectors",
        "concatenates first (type promotion joins the dtypes) and casts the result to float32.",
        """\
    return torch.cat([x, y], 1).to(torch.float32)
""",
    ),
    rewrite(
        "combine_preallocated",
        "combine_vectors",
        "allocates the output in the promoted floating dtype and copies both inputs into slices.",
        """\
    dtype = torch.promote_types(x.dtype, y.dtype)
    if not dtype.is_floating_point:
        dtype = torch.get_default_dtype()
    a = x.shape[1]
    out = torch.empty((x.shape[0], a + y.shape[1], *x.shape[2:]), dtype=dtype, device=x.device)
    out[:, :a] = x
    out[:, a:] = y
    return out
""",
    ),
    rewrite(
        "input_dimensions_unpacked",
        "get_input_dimensions",
        "unpacks the image shape and returns the tuple directly.",
        """\
    channels, _height, _width = mnist_shape
    return z_dim + n_classes, channels + n_classes
""",
    ),
    rewrite(
        "gen_block_layer_list",
        "make_gen_block",
        "appends layers to a list with keyword arguments and a non-inplace ReLU.",
        """\
    layers: list[nn.Module] = [
        nn.ConvTranspose2d(
            in_channels=input_channels,
            out_channels=output_channels,
            kernel_size=kernel_size,
            stride=stride,
        )
    ]
    if final_layer:
        layers.append(nn.Tanh())
    else:
        layers.append(nn.BatchNorm2d(num_features=output_channels))
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)
""",
    ),
    rewrite(
        "disc_block_named_layers",
        "make_disc_block",
        "names the layers with an OrderedDict and spells the slope as a keyword.",
        """\
    from collections import OrderedDict

    layers: OrderedDict[str, nn.Module] = OrderedDict(
        conv=nn.Conv2d(input_channels, output_channels, kernel_size=kernel_size, stride=stride)
    )
    if not final_layer:
        layers["norm"] = nn.BatchNorm2d(output_channels)
        layers["act"] = nn.LeakyReLU(negative_slope=0.2)
    return nn.Sequential(layers)
""",
    ),
    rewrite(
        "noise_torch_normal",
        "get_noise",
        "draws from torch.normal(0, 1) with an explicit size and device.",
        """\
    return torch.normal(0.0, 1.0, size=(n_samples, z_dim), device=device)
""",
    ),
    rewrite(
        "criterion_explicit_mean",
        "get_criterion",
        "spells out the default reduction.",
        """\
    return nn.BCEWithLogitsLoss(reduction="mean")
""",
    ),
    rewrite(
        "disc_loss_expand_full_like",
        "get_disc_loss",
        "broadcasts the labels with expand, detaches the combined fake input rather than the "
        "fake image, builds targets with full_like and halves with 0.5 * (a + b).",
        """\
    height, width = real.shape[-2:]
    image_one_hot_labels = one_hot_labels.view(*one_hot_labels.shape, 1, 1).expand(
        -1, -1, height, width
    )
    noise = get_noise(len(real), z_dim, device=one_hot_labels.device)
    fake = gen(combine_vectors(noise, one_hot_labels))
    fake_input = combine_vectors(fake, image_one_hot_labels).detach()
    real_input = combine_vectors(real, image_one_hot_labels)
    fake_scores = disc(fake_input)
    real_scores = disc(real_input)
    fake_term = criterion(fake_scores, torch.full_like(fake_scores, 0.0))
    real_term = criterion(real_scores, torch.full_like(real_scores, 1.0))
    return 0.5 * (fake_term + real_term)
""",
    ),
    rewrite(
        "disc_loss_no_grad_generator",
        "get_disc_loss",
        "generates the fakes under torch.no_grad(), which cuts the generator out of the graph "
        "as detach() does, and stacks the two terms before averaging.",
        """\
    n, _, height, width = real.shape
    with torch.no_grad():
        fake = gen(combine_vectors(get_noise(n, z_dim, one_hot_labels.device), one_hot_labels))
    label_maps = one_hot_labels[..., None, None] * torch.ones(
        1, 1, height, width, dtype=one_hot_labels.dtype, device=one_hot_labels.device
    )
    terms = []
    for images, target in ((fake, 0.0), (real, 1.0)):
        scores = disc(combine_vectors(images, label_maps))
        terms.append(criterion(scores, torch.full_like(scores, target)))
    return torch.stack(terms).mean()
""",
    ),
    rewrite(
        "gen_loss_expand",
        "get_gen_loss",
        "broadcasts the labels with expand and builds the targets with new_ones.",
        """\
    noise = get_noise(one_hot_labels.shape[0], z_dim, one_hot_labels.device)
    fake = gen(combine_vectors(noise, one_hot_labels))
    label_maps = one_hot_labels[:, :, None, None].expand(-1, -1, *fake.shape[2:])
    scores = disc(combine_vectors(fake, label_maps))
    return criterion(scores, scores.new_ones(scores.shape))
""",
    ),
    rewrite(
        "one_hot_notebook_float",
        "get_one_hot_labels",
        "the Coursera notebook's answer with a .float() as many students add it.",
        """\
    import torch.nn.functional as F
    return F.one_hot(labels, n_classes).float()
""",
    ),
    rewrite(
        "combine_notebook",
        "combine_vectors",
        "the Coursera notebook's answer: cast both to float and concatenate along dimension 1.",
        """\
    combined = torch.cat((x.float(), y.float()), 1)
    return combined
""",
    ),
    rewrite(
        "gen_block_add_module",
        "make_gen_block",
        "builds an empty nn.Sequential and adds named layers with add_module, ReLU(True).",
        """\
    block = nn.Sequential()
    block.add_module("upconv", nn.ConvTranspose2d(input_channels, output_channels, kernel_size, stride))
    if final_layer:
        block.add_module("tanh", nn.Tanh())
    else:
        block.add_module("bn", nn.BatchNorm2d(output_channels))
        block.add_module("relu", nn.ReLU(True))
    return block
""",
    ),
    rewrite(
        "disc_block_dcgan_no_bias",
        "make_disc_block",
        "the PyTorch DCGAN tutorial's habit: no bias in a convolution followed by batch norm, "
        "layers collected in a list and unpacked.",
        """\
    layers = [nn.Conv2d(input_channels, output_channels, kernel_size, stride, bias=final_layer)]
    if not final_layer:
        layers += [nn.BatchNorm2d(output_channels), nn.LeakyReLU(negative_slope=0.2, inplace=True)]
    return nn.Sequential(*layers)
""",
    ),
    rewrite(
        "gen_loss_noise_moved",
        "get_gen_loss",
        "makes the noise with get_noise's default device and moves it with .to(device), "
        "and broadcasts the labels with expand.",
        """\
    device = one_hot_labels.device
    noise = get_noise(one_hot_labels.shape[0], z_dim).to(device)
    fake = gen(combine_vectors(noise, one_hot_labels))
    maps = one_hot_labels[:, :, None, None].expand(-1, -1, *fake.shape[2:])
    scores = disc(combine_vectors(fake, maps))
    return criterion(scores, torch.ones_like(scores))
""",
    ),
]
