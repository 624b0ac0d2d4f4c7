"""The model kinds, by name (no TensorFlow needed to read them).

    LATENT       noise z -> images (GAN, DCGAN, VanillaGAN)
    CONDITIONAL  noise z and a class label -> images (ConditionalGAN, ACGAN)
    TRANSLATOR   images -> images, one network per direction (CycleGAN, SRGAN)
    LIKELIHOOD   trained on a likelihood bound (VAE)
"""

LATENT = "latent"
CONDITIONAL = "conditional"
TRANSLATOR = "translator"
LIKELIHOOD = "likelihood"
KINDS = (LATENT, CONDITIONAL, TRANSLATOR, LIKELIHOOD)
# Kinds whose export draws images from latents z (`generate`; CONDITIONAL with labels).
GENERATIVE = (LATENT, CONDITIONAL, LIKELIHOOD)
# Kinds whose `generate` takes latents alone (the latent-space tools work on them).
UNCONDITIONAL = (LATENT, LIKELIHOOD)
