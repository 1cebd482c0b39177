/* placeholder until the driver lands */
int mpdp_drv_virtio_placeholder_(void);
int mpdp_drv_virtio_placeholder_(void) { return 0; }
