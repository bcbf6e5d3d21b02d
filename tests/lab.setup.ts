import { test as setup } from '@playwright/test';
import { provisionLab } from '../src/lab/provision.ts';

setup('provision the embedded Wine lab', async () => {
  await provisionLab();
});
