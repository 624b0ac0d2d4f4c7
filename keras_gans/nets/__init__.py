"""Layers and network builders (functional Keras models), one module a family:

    mlp           the GAN paper's MLP generator and maxout discriminator
    dcgan         the DCGAN generator and discriminator (28, 32, 64 px)
    conditional   label layers and the class-conditional DCGAN networks
    image2image   CycleGAN's ResNet generator and PatchGAN discriminator
    srresnet      SRGAN's SRResNet generator, discriminator and VGG54 features

Models (`keras_gans.models`) build their players from these; the networks know
nothing of training. Final layers are float32 under any mixed-precision policy.
"""
