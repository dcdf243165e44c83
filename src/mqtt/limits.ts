// Size limits of the MQTT front, in one place (CONTRACT section 10: payloads over 64 KiB are refused).
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** A plugin's device set lists all its devices: larger than a request, still bounded (about 40,000 devices). */
export const MAX_DEVICE_SET_BYTES = 16 * MAX_PAYLOAD_BYTES;
/** No MQTT packet may be larger than the largest payload we take plus room for topic and properties. */
export const MAX_PACKET_BYTES = MAX_DEVICE_SET_BYTES + 8 * 1024;
