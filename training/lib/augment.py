"""Batch augmentation in TensorFlow, seeded per batch so a resumed run sees the same batches.

Geometric: horizontal flip, rotation, zoom (crop-scale jitter: looser and tighter framings
than FER2013's), shifts, a little aspect change; the border is replicated as streamfer's crop
does. Photometric: brightness, contrast, gamma (studio and webcam light), Gaussian blur,
down-and-up resampling (small faces), Gaussian noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tensorflow as tf


@dataclass(frozen=True)
class AugmentSettings:
    rotation_deg: float = 15.0
    zoom_min: float = 0.80  # < 1: the face appears smaller (looser crop)
    zoom_max: float = 1.20  # > 1: tighter crop
    shift: float = 0.10  # of the side
    aspect: float = 0.06
    brightness: float = 0.15
    contrast_min: float = 0.6
    contrast_max: float = 1.4
    gamma_sigma: float = 0.25  # log-normal gamma
    blur_prob: float = 0.25
    lowres_prob: float = 0.2
    noise_max: float = 0.04
    # Video-like extras (0 = off, as in the runs before 2026-12-02): a keystone warp that
    # mimics a head turned or tilted a little beyond what the crop levels (pose), and JPEG
    # re-encoding at quality 20-90 (streams and recordings are compressed).
    perspective: float = 0.0  # projective coefficient, in units of 1/side
    jpeg_prob: float = 0.0


def _uniform(shape: list[int], seed: tf.Tensor, lo: float, hi: float) -> tf.Tensor:
    return tf.random.stateless_uniform(shape, seed, minval=lo, maxval=hi)


def augment(images: tf.Tensor, seed: tf.Tensor, s: AugmentSettings) -> tf.Tensor:
    """``images``: float32 (B, H, W, 1) in 0..1; returns the same shape, clipped to 0..1."""
    b = tf.shape(images)[0]
    h = tf.cast(tf.shape(images)[1], tf.float32)
    w = tf.cast(tf.shape(images)[2], tf.float32)
    seeds = tf.random.experimental.stateless_split(seed, 16)

    flip = _uniform([b], seeds[0], 0.0, 1.0) < 0.5
    images = tf.where(flip[:, None, None, None], tf.reverse(images, axis=[2]), images)

    angle = _uniform([b], seeds[1], -1.0, 1.0) * (s.rotation_deg * math.pi / 180.0)
    zoom = tf.exp(_uniform([b], seeds[2], math.log(s.zoom_min), math.log(s.zoom_max)))
    aspect = tf.exp(_uniform([b], seeds[3], -s.aspect, s.aspect))
    zx, zy = zoom * aspect, zoom / aspect
    tx = _uniform([b], seeds[4], -s.shift, s.shift) * w
    ty = _uniform([b], seeds[5], -s.shift, s.shift) * h
    # The transform maps output pixel (x, y) to input pixel: inverse of scale-rotate about centre.
    cos, sin = tf.cos(angle), tf.sin(angle)
    cx, cy = (w - 1.0) / 2.0, (h - 1.0) / 2.0
    a0, a1 = cos / zx, -sin / zx
    b0, b1 = sin / zy, cos / zy
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    c0 = _uniform([b], seeds[15], -s.perspective, s.perspective) / w
    c1 = _uniform([b], tf.reverse(seeds[15], [0]), -s.perspective, s.perspective) / h
    transforms = tf.stack([a0, a1, a2, b0, b1, b2, c0, c1], axis=1)
    images = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.shape(images)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="NEAREST",
    )

    gamma = tf.exp(tf.random.stateless_normal([b], seeds[6]) * s.gamma_sigma)
    images = tf.pow(tf.clip_by_value(images, 1e-4, 1.0), gamma[:, None, None, None])
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    contrast = _uniform([b], seeds[7], s.contrast_min, s.contrast_max)[:, None, None, None]
    images = (images - mean) * contrast + mean
    images += _uniform([b], seeds[8], -s.brightness, s.brightness)[:, None, None, None]

    sigma = _uniform([], seeds[9], 0.5, 1.3)
    taps = tf.range(-2.0, 3.0)
    kernel1 = tf.exp(-(taps**2) / (2.0 * sigma**2))
    kernel1 /= tf.reduce_sum(kernel1)
    kernel = (kernel1[:, None] * kernel1[None, :])[:, :, None, None]
    blurred = tf.nn.conv2d(
        tf.pad(images, [[0, 0], [2, 2], [2, 2], [0, 0]], "SYMMETRIC"), kernel, 1, "VALID"
    )
    use_blur = _uniform([b], seeds[10], 0.0, 1.0) < s.blur_prob
    images = tf.where(use_blur[:, None, None, None], blurred, images)

    small = tf.cast(tf.round(_uniform([], seeds[11], 0.4, 0.8) * h), tf.int32)
    size = tf.shape(images)[1:3]
    lowres = tf.image.resize(tf.image.resize(images, [small, small], antialias=True), size)
    use_lowres = _uniform([b], seeds[12], 0.0, 1.0) < s.lowres_prob
    images = tf.where(use_lowres[:, None, None, None], lowres, images)

    noise_sd = _uniform([b], seeds[13], 0.0, s.noise_max)[:, None, None, None]
    images += tf.random.stateless_normal(tf.shape(images), seeds[14]) * noise_sd
    images = tf.clip_by_value(images, 0.0, 1.0)
    if s.jpeg_prob > 0:
        images = _jpeg(images, seeds[12], s.jpeg_prob)
    return images


def _jpeg(images: tf.Tensor, seed: tf.Tensor, prob: float) -> tf.Tensor:
    """Re-encode a random ``prob`` share of the batch as JPEG at quality 20-90 each."""
    b = tf.shape(images)[0]
    quality = tf.cast(_uniform([b], tf.reverse(seed, [0]), 20.0, 90.0), tf.int32)
    use = _uniform([b], seed + 1, 0.0, 1.0) < prob

    def one(args: tuple[tf.Tensor, tf.Tensor]) -> tf.Tensor:
        image, q = args
        return tf.image.adjust_jpeg_quality(image, q)

    coded = tf.map_fn(one, (images, quality), fn_output_signature=tf.float32)
    return tf.where(use[:, None, None, None], tf.reshape(coded, tf.shape(images)), images)
