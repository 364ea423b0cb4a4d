"""The HL7 v2 ADT feed from the hospital system: MLLP transport, message mapping, /hiscode."""
