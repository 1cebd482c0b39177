/* placeholder until the driver lands */
int mpdp_drv_vhost_placeholder_(void);
int mpdp_drv_vhost_placeholder_(void) { return 0; }
