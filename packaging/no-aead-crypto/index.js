// Never loaded on Node >= 10: node-dtls-client uses node:crypto for AES-CCM and AES-GCM there.
throw new Error('node-aead-crypto is not shipped: sma-bridge needs Node >= 20, where node:crypto does AEAD');
