"""Realistic wrong answers to HW7-Q8 (hw7/conditional_gan), one mistake each.

Every mutant must lose points on its own item and keep every other item's
points: the loss items are graded with known-good helpers, so a broken
one-hot, noise or concatenation costs points once, where it is written.
"""
from __future__ import annotations

from tests.variants import Variant

MODULE = "hw7/conditional_gan"

MUTANTS: list[Variant] = [
    # ---------------------------------------------------------------- one-hot
    Variant(
        MODULE,
        name="one_hot_infers_n_classes",
        item="get_one_hot_labels",
        why="F.one_hot without num_classes sizes the vectors by the largest label in the batch, "
        "an argument students drop because the call works on a batch that holds every class.",
        old="return nn.functional.one_hot(labels, n_classes)",
        new="return nn.functional.one_hot(labels)",
    ),
    Variant(
        MODULE,
        name="one_hot_scatter_assumes_1d",
        item="get_one_hot_labels",
        why="a hand-written scatter into (len(labels), n_classes) assumes a flat batch of labels, "
        "as in a training loop, and breaks on the handout's (1, 3) example.",
        old="return nn.functional.one_hot(labels, n_classes)",
        new="return torch.zeros(len(labels), n_classes).scatter_(1, labels.unsqueeze(1), 1)",
    ),
    Variant(
        MODULE,
        name="one_hot_squeezed",
        item="get_one_hot_labels",
        why="squeeze() to 'drop the extra dimension' also drops every other dimension of size 1, "
        "e.g. a batch of one label or the leading 1 of the handout's example.",
        old="return nn.functional.one_hot(labels, n_classes)",
        new="return nn.functional.one_hot(labels, n_classes).squeeze()",
    ),
    # ---------------------------------------------------------------- combine
    Variant(
        MODULE,
        name="combine_no_float_cast",
        item="combine_vectors",
        why="concatenating F.one_hot's int64 output as it is lets integers leak into the network, "
        "the mistake seen most in real answers because noise + labels already gives float.",
        old="return torch.cat((x.float(), y.float()), dim=1)",
        new="return torch.cat((x, y), dim=1)",
    ),
    Variant(
        MODULE,
        name="combine_dim0",
        item="combine_vectors",
        why="torch.cat's default dimension is 0, so a student who forgets dim=1 stacks the batches "
        "instead of joining the features (seen in real answers).",
        old="return torch.cat((x.float(), y.float()), dim=1)",
        new="return torch.cat((x.float(), y.float()), dim=0)",
    ),
    Variant(
        MODULE,
        name="combine_last_dim",
        item="combine_vectors",
        why="dim=-1 is right for (N, features) vectors, the case students test first, but joins "
        "image maps (N, C, H, W) along their width.",
        old="return torch.cat((x.float(), y.float()), dim=1)",
        new="return torch.cat((x.float(), y.float()), dim=-1)",
    ),
    Variant(
        MODULE,
        name="combine_labels_first",
        item="combine_vectors",
        why="putting the condition before the noise looks harmless, but the function is specified "
        "as x then y and the rest of the notebook relies on that order.",
        old="return torch.cat((x.float(), y.float()), dim=1)",
        new="return torch.cat((y.float(), x.float()), dim=1)",
    ),
    # ------------------------------------------------------- input dimensions
    Variant(
        MODULE,
        name="input_dims_generator_forgets_labels",
        item="get_input_dimensions",
        why="the unconditional GAN's generator takes z_dim features, and students carry that over "
        "without adding the class vector.",
        old="generator_input_dim = z_dim + n_classes",
        new="generator_input_dim = z_dim",
    ),
    Variant(
        MODULE,
        name="input_dims_hardcoded_mnist_channel",
        item="get_input_dimensions",
        why="MNIST has one channel, so students write 1 + n_classes and never read mnist_shape.",
        old="discriminator_im_chan = mnist_shape[0] + n_classes",
        new="discriminator_im_chan = 1 + n_classes",
    ),
    Variant(
        MODULE,
        name="input_dims_uses_height",
        item="get_input_dimensions",
        why="taking mnist_shape[1] reads the image height as channels, an easy slip with (C, H, W) "
        "shapes where C is the odd one out.",
        old="discriminator_im_chan = mnist_shape[0] + n_classes",
        new="discriminator_im_chan = mnist_shape[1] + n_classes",
    ),
    # ---------------------------------------------------------- generator block
    Variant(
        MODULE,
        name="gen_final_block_batchnorm",
        item="make_gen_block",
        why="copying the hidden block and swapping ReLU for Tanh leaves BatchNorm in the final "
        "generator block (seen in real answers).",
        old="return nn.Sequential(conv, nn.Tanh())",
        new="return nn.Sequential(conv, nn.BatchNorm2d(output_channels), nn.Tanh())",
    ),
    Variant(
        MODULE,
        name="gen_final_sigmoid",
        item="make_gen_block",
        why="Sigmoid is the usual 'image in [0, 1]' activation, but the images are normalised to "
        "[-1, 1], so the generator needs Tanh.",
        old="return nn.Sequential(conv, nn.Tanh())",
        new="return nn.Sequential(conv, nn.Sigmoid())",
    ),
    Variant(
        MODULE,
        name="gen_hidden_leaky_relu",
        item="make_gen_block",
        why="writing the generator block after the discriminator block carries LeakyReLU(0.2) "
        "over, where DCGAN's generator uses ReLU.",
        old="nn.ReLU(inplace=True)",
        new="nn.LeakyReLU(0.2, inplace=True)",
    ),
    Variant(
        MODULE,
        name="gen_kernel_stride_swapped",
        item="make_gen_block",
        why="passing kernel_size and stride positionally in the wrong order is silent, and the "
        "Generator still builds (with the wrong image size).",
        old="conv = nn.ConvTranspose2d(input_channels, output_channels, kernel_size, stride)",
        new="conv = nn.ConvTranspose2d(input_channels, output_channels, stride, kernel_size)",
    ),
    Variant(
        MODULE,
        name="gen_plain_conv",
        item="make_gen_block",
        why="nn.Conv2d instead of nn.ConvTranspose2d, the layer students know best, shrinks the "
        "image where the generator must grow it.",
        old="conv = nn.ConvTranspose2d(input_channels, output_channels, kernel_size, stride)",
        new="conv = nn.Conv2d(input_channels, output_channels, kernel_size, stride)",
    ),
    # ------------------------------------------------------ discriminator block
    Variant(
        MODULE,
        name="disc_relu",
        item="make_disc_block",
        why="plain ReLU, copied from the generator block, kills the gradient for negative "
        "pre-activations where the discriminator should use LeakyReLU(0.2).",
        old="nn.LeakyReLU(0.2, inplace=True)",
        new="nn.ReLU(inplace=True)",
    ),
    Variant(
        MODULE,
        name="disc_leaky_default_slope",
        item="make_disc_block",
        why="nn.LeakyReLU() without an argument has slope 0.01, not the 0.2 DCGAN uses, and "
        "students assume the default is the usual value.",
        old="nn.LeakyReLU(0.2, inplace=True)",
        new="nn.LeakyReLU(inplace=True)",
    ),
    Variant(
        MODULE,
        name="disc_final_sigmoid",
        item="make_disc_block",
        why="a discriminator 'outputs a probability', so students end it with Sigmoid, although "
        "the criterion takes logits.",
        old="return nn.Sequential(conv)",
        new="return nn.Sequential(conv, nn.Sigmoid())",
    ),
    Variant(
        MODULE,
        name="disc_kernel_stride_hardcoded",
        item="make_disc_block",
        why="writing the MNIST values 4 and 2 into the convolution ignores the block's "
        "kernel_size and stride arguments, which the defaults hide.",
        old="conv = nn.Conv2d(input_channels, output_channels, kernel_size, stride)",
        new="conv = nn.Conv2d(input_channels, output_channels, 4, 2)",
    ),
    Variant(
        MODULE,
        name="disc_batchnorm_input_channels",
        item="make_disc_block",
        why="BatchNorm2d(input_channels) is the count at hand when writing the block's first line, "
        "but the norm comes after the convolution and sees output_channels.",
        old="conv, nn.BatchNorm2d(output_channels), nn.LeakyReLU(0.2, inplace=True)",
        new="nn.BatchNorm2d(input_channels), conv, nn.LeakyReLU(0.2, inplace=True)",
    ),
    # ------------------------------------------------------------------ noise
    Variant(
        MODULE,
        name="noise_uniform",
        item="get_noise",
        why="torch.rand and torch.randn differ by one letter, and uniform [0, 1) noise runs "
        "without any error.",
        old="return torch.randn(n_samples, z_dim, device=device)",
        new="return torch.rand(n_samples, z_dim, device=device)",
    ),
    Variant(
        MODULE,
        name="noise_shape_swapped",
        item="get_noise",
        why="(z_dim, n_samples) is an easy swap when the two numbers are equal in the student's "
        "own test.",
        old="return torch.randn(n_samples, z_dim, device=device)",
        new="return torch.randn(z_dim, n_samples, device=device)",
    ),
    Variant(
        MODULE,
        name="noise_reseeded",
        item="get_noise",
        why="seeding inside the function 'for reproducibility' makes every call return the same "
        "noise, so the generator sees one z per position forever.",
        old="return torch.randn(n_samples, z_dim, device=device)",
        new="torch.manual_seed(0)\n    return torch.randn(n_samples, z_dim, device=device)",
    ),
    Variant(
        MODULE,
        name="noise_ignores_device",
        item="get_noise",
        why="torch.randn without device= draws on the CPU, which goes unnoticed until the "
        "notebook runs on a GPU and the generator gets a CPU tensor.",
        old="return torch.randn(n_samples, z_dim, device=device)",
        new="return torch.randn(n_samples, z_dim)",
        requires_cuda=True,
    ),
    # -------------------------------------------------------------- criterion
    Variant(
        MODULE,
        name="criterion_bce_on_probabilities",
        item="get_criterion",
        why="nn.BCELoss is the textbook binary cross-entropy, but it expects probabilities and "
        "the discriminator outputs logits.",
        old="return nn.BCEWithLogitsLoss()",
        new="return nn.BCELoss()",
    ),
    Variant(
        MODULE,
        name="criterion_mse",
        item="get_criterion",
        why="least-squares GAN's MSELoss is a known alternative loss, but not the one the "
        "assignment asks for.",
        old="return nn.BCEWithLogitsLoss()",
        new="return nn.MSELoss()",
    ),
    Variant(
        MODULE,
        name="criterion_sum_reduction",
        item="get_criterion",
        why="reduction='sum' makes the loss grow with the batch size, which students pick to "
        "'get bigger gradients'.",
        old="return nn.BCEWithLogitsLoss()",
        new="return nn.BCEWithLogitsLoss(reduction=\"sum\")",
    ),
    # ------------------------------------------------------ discriminator loss
    Variant(
        MODULE,
        name="disc_loss_fake_not_detached",
        item="get_disc_loss",
        why="without detach() the discriminator's loss also trains the generator, a line "
        "students drop because the step still runs.",
        old="fake_pred = disc(combine_vectors(fake.detach(), image_one_hot_labels))",
        new="fake_pred = disc(combine_vectors(fake, image_one_hot_labels))",
    ),
    Variant(
        MODULE,
        name="disc_loss_targets_swapped",
        item="get_disc_loss",
        why="mixing up which side is labelled 1 gives a discriminator that calls fakes real.",
        old="fake_loss = criterion(fake_pred, torch.zeros_like(fake_pred))\n"
        "    real_loss = criterion(real_pred, torch.ones_like(real_pred))",
        new="fake_loss = criterion(fake_pred, torch.ones_like(fake_pred))\n"
        "    real_loss = criterion(real_pred, torch.zeros_like(real_pred))",
    ),
    Variant(
        MODULE,
        name="disc_loss_sum_of_terms",
        item="get_disc_loss",
        why="adding the fake and real terms without halving is what many GAN tutorials do, but "
        "the assignment asks for their mean.",
        old="return (fake_loss + real_loss) / 2",
        new="return fake_loss + real_loss",
    ),
    Variant(
        MODULE,
        name="disc_loss_real_only",
        item="get_disc_loss",
        why="returning only the real term trains a discriminator that never sees a fake.",
        old="return (fake_loss + real_loss) / 2",
        new="return real_loss",
    ),
    Variant(
        MODULE,
        name="disc_loss_labels_before_noise",
        item="get_disc_loss",
        why="combining (labels, noise) instead of (noise, labels) puts the condition where the "
        "generator expects noise.",
        old="fake = gen(combine_vectors(noise, one_hot_labels))\n"
        "    fake_pred = disc(combine_vectors(fake.detach(), image_one_hot_labels))",
        new="fake = gen(combine_vectors(one_hot_labels, noise))\n"
        "    fake_pred = disc(combine_vectors(fake.detach(), image_one_hot_labels))",
    ),
    Variant(
        MODULE,
        name="disc_loss_labels_broadcast_to_28",
        item="get_disc_loss",
        why="broadcasting the labels to MNIST's 28×28 by hand works in the notebook but not for "
        "images of any other size, which the function's arguments allow.",
        old="n, _, height, width = real.shape\n"
        "    image_one_hot_labels = one_hot_labels[:, :, None, None].repeat(1, 1, height, width)",
        new="n = len(real)\n"
        "    image_one_hot_labels = one_hot_labels[:, :, None, None].repeat(1, 1, 28, 28)",
    ),
    # ---------------------------------------------------------- generator loss
    Variant(
        MODULE,
        name="gen_loss_target_zero",
        item="get_gen_loss",
        why="copying the fake term of the discriminator's loss keeps target 0, which trains the "
        "generator to make its fakes look fake.",
        old="return criterion(fake_pred, torch.ones_like(fake_pred))",
        new="return criterion(fake_pred, torch.zeros_like(fake_pred))",
    ),
    Variant(
        MODULE,
        name="gen_loss_detached",
        item="get_gen_loss",
        why="copying the discriminator's step keeps fake.detach(), so no gradient reaches the "
        "generator and it never learns.",
        old="fake_pred = disc(combine_vectors(fake, image_one_hot_labels))",
        new="fake_pred = disc(combine_vectors(fake.detach(), image_one_hot_labels))",
    ),
    Variant(
        MODULE,
        name="gen_loss_minimax_sign",
        item="get_gen_loss",
        why="the paper's minimax form 'maximise the discriminator's loss' written as minus its "
        "fake term is negative and saturates early in training.",
        old="return criterion(fake_pred, torch.ones_like(fake_pred))",
        new="return -criterion(fake_pred, torch.zeros_like(fake_pred))",
    ),
    # ------------------------------------------- layouts, devices, in-place changes
    Variant(
        MODULE,
        name="one_hot_flattened_with_view",
        item="get_one_hot_labels",
        why="flattens the labels with .view(-1) to one-hot them as a vector, which fails on a "
        "non-contiguous batch (a slice or a transpose) where reshape is right.",
        old="return nn.functional.one_hot(labels, n_classes)",
        new="return nn.functional.one_hot(labels.view(-1), n_classes).view(*labels.shape, n_classes)",
    ),
    Variant(
        MODULE,
        name="one_hot_eye_on_cpu",
        item="get_one_hot_labels",
        why="indexes torch.eye(n_classes), made on the CPU, with labels that may live on the GPU.",
        old="return nn.functional.one_hot(labels, n_classes)",
        new="return torch.eye(n_classes)[labels]",
        requires_cuda=True,
    ),
    Variant(
        MODULE,
        name="combine_flattened_with_view",
        item="combine_vectors",
        why="flattens the trailing dimensions with .view to concatenate, which fails on a "
        "non-contiguous input where torch.cat alone (or reshape) is right.",
        old="return torch.cat((x.float(), y.float()), dim=1)",
        new="n = x.shape[0]\n"
        "    flat = torch.cat((x.view(n, x.shape[1], -1).float(), y.view(n, y.shape[1], -1).float()), 1)\n"
        "    return flat.view(n, -1, *x.shape[2:])",
    ),
    Variant(
        MODULE,
        name="combine_clamps_noise_in_place",
        item="combine_vectors",
        why="truncates the noise at 5 standard deviations with clamp_ after .float(), which is the "
        "caller's own tensor "
        "when the noise is already float32: the caller's noise vector changes.",
        old="return torch.cat((x.float(), y.float()), dim=1)",
        new="return torch.cat((x.float().clamp_(-5, 5), y.float()), dim=1)",
    ),
    Variant(
        MODULE,
        name="combine_zeros_without_device",
        item="combine_vectors",
        why="preallocates the result with torch.zeros(...) without device=, so GPU inputs "
        "come back on the CPU.",
        old="return torch.cat((x.float(), y.float()), dim=1)",
        new="a = x.shape[1]\n"
        "    out = torch.zeros(x.shape[0], a + y.shape[1], *x.shape[2:])\n"
        "    out[:, :a], out[:, a:] = x, y\n"
        "    return out",
        requires_cuda=True,
    ),
    Variant(
        MODULE,
        name="disc_loss_instance_noise_in_place",
        item="get_disc_loss",
        why="adds instance noise to the real batch with add_, changing the caller's images.",
        old="real_pred = disc(combine_vectors(real, image_one_hot_labels))",
        new="real_pred = disc(combine_vectors(real.add_(0.01 * torch.randn_like(real)), image_one_hot_labels))",
    ),
    Variant(
        MODULE,
        name="disc_loss_noise_on_cpu",
        item="get_disc_loss",
        why="calls get_noise without a device, so the noise stays on the CPU while the labels "
        "and networks are on the GPU.",
        old="noise = get_noise(n, z_dim, device=one_hot_labels.device)",
        new="noise = get_noise(n, z_dim)",
        requires_cuda=True,
    ),
]
