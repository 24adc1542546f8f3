"""Correct answers to HW7-Q4 (hw7/style_modules) written differently from the
reference; each must keep every point. Most replace an item's whole solution
region; the classes' edits replace one of their two regions (__init__ or
forward)."""
from __future__ import annotations

from tests.variants import Variant, solution_region

MODULE = "hw7/style_modules"


def rewrite(name: str, item: str, why: str, body: str) -> Variant:
    """A whole-region replacement of `item` by `body` (indented as in the file)."""
    return Variant(MODULE, name, item, why, old=solution_region(MODULE, item), new=body)


_MAP_INIT = """\
        layers: list[nn.Module] = []
        for i in range(n_layers):
            layers += [nn.Linear(z_dim if i == 0 else w_dim, w_dim), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers)
"""
_MAP_FORWARD = "        return self.net(pixel_norm(z))\n"
_AFFINE_INIT = """\
        self.channels = channels
        self.linear = nn.Linear(w_dim, 2 * channels)
        with torch.no_grad():
            self.linear.bias[:channels].fill_(1.0)
            self.linear.bias[channels:].zero_()
"""
_AFFINE_FORWARD = """\
        style = self.linear(w)
        return style[:, : self.channels], style[:, self.channels :]
"""

ALTERNATIVES: list[Variant] = [
    # ------------------------------------------------------------- pixel_norm
    rewrite(
        "pixel_norm_rsqrt",
        "pixel_norm",
        "multiplies by torch.rsqrt of the mean square, as StyleGAN's code does.",
        """\
    return z * torch.rsqrt(torch.mean(z * z, dim=1, keepdim=True) + eps)
""",
    ),
    rewrite(
        "pixel_norm_vector_norm",
        "pixel_norm",
        "divides by the Euclidean norm over sqrt(D), the root mean square written with torch.linalg.",
        """\
    d = z.shape[1]
    return z / torch.sqrt(torch.linalg.vector_norm(z, dim=1, keepdim=True) ** 2 / d + eps)
""",
    ),
    # --------------------------------------------------------- MappingNetwork
    Variant(
        MODULE,
        "mapping_module_list",
        "MappingNetwork",
        "keeps the Linear layers in an nn.ModuleList and applies F.leaky_relu(·, 0.2) after each "
        "in a loop of its own.",
        old=_MAP_INIT,
        new="""\
        self.layers = nn.ModuleList(
            [nn.Linear(z_dim, w_dim)] + [nn.Linear(w_dim, w_dim) for _ in range(n_layers - 1)]
        )

        def run(h: torch.Tensor) -> torch.Tensor:
            for layer in self.layers:
                h = nn.functional.leaky_relu(layer(h), negative_slope=0.2)
            return h

        self.net = run
""",
    ),
    Variant(
        MODULE,
        "mapping_loop_over_children",
        "MappingNetwork",
        "normalises z, then applies the Sequential's layers one by one in a loop.",
        old=_MAP_FORWARD,
        new="""\
        h = pixel_norm(z)
        for layer in self.net:
            h = layer(h)
        return h
""",
    ),
    Variant(
        MODULE,
        "mapping_inline_pixel_norm",
        "MappingNetwork",
        "writes the pixel norm out in forward instead of calling pixel_norm.",
        old=_MAP_FORWARD,
        new="""\
        z = z / torch.sqrt(torch.mean(z**2, dim=1, keepdim=True) + 1e-8)
        return self.net(z)
""",
    ),
    Variant(
        MODULE,
        "mapping_inplace_activations",
        "MappingNetwork",
        "builds the Sequential in one expression, with in-place LeakyReLU(negative_slope=0.2).",
        old=_MAP_INIT,
        new="""\
        dims = [z_dim] + [w_dim] * n_layers
        self.net = nn.Sequential(*[
            block
            for a, b in zip(dims, dims[1:])
            for block in (nn.Linear(a, b), nn.LeakyReLU(negative_slope=0.2, inplace=True))
        ])
""",
    ),
    # ------------------------------------------------------------ StyleAffine
    Variant(
        MODULE,
        "affine_two_linears",
        "StyleAffine",
        "one nn.Linear for the scale (bias initialised to 1) and one for the bias (bias 0).",
        old=_AFFINE_INIT,
        new="""\
        self.to_scale = nn.Linear(w_dim, channels)
        self.to_bias = nn.Linear(w_dim, channels)
        nn.init.ones_(self.to_scale.bias)
        nn.init.zeros_(self.to_bias.bias)
        self.linear = lambda w: torch.cat([self.to_scale(w), self.to_bias(w)], dim=1)
        self.channels = channels
""",
    ),
    Variant(
        MODULE,
        "affine_one_plus_linear",
        "StyleAffine",
        "keeps nn.Linear's default initialisation and adds 1 to the scale half of its output "
        "(the scale is then 1 plus a small affine term at initialisation).",
        old=_AFFINE_INIT,
        new="""\
        self.channels = channels
        self.affine = nn.Linear(w_dim, 2 * channels)
        one = torch.cat([torch.ones(channels), torch.zeros(channels)])
        self.linear = lambda w: self.affine(w) + one.to(w)
""",
    ),
    # ------------------------------------------------------------------ adain
    rewrite(
        "adain_var_mean",
        "adain",
        "takes the statistics with torch.var_mean and multiplies by rsqrt.",
        """\
    var, mean = torch.var_mean(x, dim=(2, 3), keepdim=True, unbiased=False)
    scale = style_scale.unsqueeze(-1).unsqueeze(-1)
    bias = style_bias.unsqueeze(-1).unsqueeze(-1)
    return scale * (x - mean) * torch.rsqrt(var + eps) + bias
""",
    ),
    rewrite(
        "adain_instance_norm",
        "adain",
        "normalises with F.instance_norm, then applies the style.",
        """\
    normalised = nn.functional.instance_norm(x, eps=eps)
    n, c = style_scale.shape
    return normalised * style_scale.view(n, c, 1, 1) + style_bias.view(n, c, 1, 1)
""",
    ),
    rewrite(
        "adain_flattened_manual",
        "adain",
        "flattens the spatial dimensions and computes the mean and the population variance by hand.",
        """\
    n, c, h, w = x.shape
    flat = x.reshape(n, c, h * w)
    mean = flat.sum(-1, keepdim=True) / (h * w)
    var = ((flat - mean) ** 2).sum(-1, keepdim=True) / (h * w)
    out = (flat - mean) / (var + eps).sqrt() * style_scale[..., None] + style_bias[..., None]
    return out.reshape(n, c, h, w)
""",
    ),
    # ----------------------------------------------------------- style_mixing
    rewrite(
        "mixing_where",
        "style_mixing",
        "selects with torch.where on the layer index.",
        """\
    layer = torch.arange(n_layers, device=w1.device).view(n_layers, 1, 1)
    return torch.where(layer < crossover, w1.unsqueeze(0), w2.unsqueeze(0))
""",
    ),
    rewrite(
        "mixing_cat_expand",
        "style_mixing",
        "concatenates w1 repeated crossover times and w2 repeated for the rest.",
        """\
    first = w1.unsqueeze(0).expand(crossover, *w1.shape)
    rest = w2.unsqueeze(0).expand(n_layers - crossover, *w2.shape)
    return torch.cat([first, rest], dim=0)
""",
    ),
]
