import { Gpu, GpuDomainError, renderTimeSlicingConfig, validateTimeSlicing } from '../../lib/gpu';

describe('time-slicing', () => {
  test('accepts 2-48 on NVIDIA GPUs', () => {
    expect(validateTimeSlicing(Gpu.L4, 2)).toEqual([]);
    expect(validateTimeSlicing(Gpu.T4, 48)).toEqual([]);
    expect(validateTimeSlicing(Gpu.H100_80GB, 4)).toEqual([]);
  });

  test.each([1, 49, 2.5, 0, -3, NaN])('rejects %p replicas', (n) => {
    expect(validateTimeSlicing(Gpu.L4, n)).toEqual([
      expect.stringMatching(/^\S+ is not a whole number from 2 to 48; use 2-48 replicas per GPU$/),
    ]);
  });

  test('rejects Neuron accelerators', () => {
    expect(validateTimeSlicing(Gpu.INFERENTIA2, 4)).toEqual([
      expect.stringMatching(
        /^4 cannot be used on AWS Inferentia2: time-slicing is an NVIDIA device plugin feature; remove timeSlicing for Neuron accelerators$/,
      ),
    ]);
  });

  test('renders the device-plugin config', () => {
    expect(renderTimeSlicingConfig(4)).toBe(
      [
        'version: v1',
        'flags:',
        '  migStrategy: none',
        'sharing:',
        '  timeSlicing:',
        '    resources:',
        '      - name: nvidia.com/gpu',
        '        replicas: 4',
        '',
      ].join('\n'),
    );
    expect(renderTimeSlicingConfig(8)).toBe(renderTimeSlicingConfig(8));
  });

  test('render refuses out-of-range replicas', () => {
    expect(() => renderTimeSlicingConfig(1)).toThrow(GpuDomainError);
    expect(() => renderTimeSlicingConfig(100)).toThrow(/^timeSlicing 100 is not a whole number from 2 to 48; use 2-48 replicas per GPU$/);
  });
});
