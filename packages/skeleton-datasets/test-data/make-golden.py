"""Writes the golden .npy / .npz files used by src/readers/npy.test.ts, with NumPy itself (the independent reference).
Run from this folder: python3 make-golden.py  (NumPy 2.x was used). The tests recompute the same values in TypeScript."""
import numpy as np

np.save('f4.npy', (np.arange(24, dtype='<f4').reshape(2, 3, 4) * np.float32(0.5) - np.float32(3)))
np.save('f8.npy', np.array([1.0 / 3.0, -2.5e-10, 1e300, -0.0], dtype='<f8'))
np.save('i8.npy', np.array([-3, 0, 2 ** 40], dtype='<i8'))
np.save('i4.npy', np.array([[1, -2], [2 ** 31 - 1, -2 ** 31]], dtype='<i4'))
np.save('be-f4.npy', np.array([1.5, -2.25, 3.0e-3], dtype='>f4'))
np.save('u1.npy', np.array([0, 7, 255], dtype='u1'))
np.save('bool.npy', np.array([True, False, True]))
np.save('scalar.npy', np.float32(2.5))
np.save('fortran.npy', np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3)))
np.save('object.npy', np.array([{'a': 1}, None], dtype=object), allow_pickle=True)


def split(n, lengths, classes, base):
    x = np.zeros((n, 10, 150), dtype='<f4')
    for i, L in enumerate(lengths):
        t = np.arange(L, dtype=np.float64)[:, None]
        d = np.arange(150, dtype=np.float64)[None, :]
        x[i, :L] = ((i + base + 1) * 0.01 + t * 0.1 + d * 0.001).astype('<f4')
    y = np.zeros((n, classes), dtype='<f4')
    for i in range(n):
        y[i, (3 * i + base) % classes] = 1
    return x, y


xtr, ytr = split(3, [10, 7, 4], 60, 0)
xte, yte = split(2, [5, 10], 60, 10)
np.savez('ctrgcn.npz', x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
np.savez_compressed('ctrgcn-compressed.npz', x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
