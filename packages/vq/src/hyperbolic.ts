import { tf } from '@llmar/tensor';
import { PoincareBall } from '@llmar/hyperbolic';
import { BaseQuantizer } from './base';
import type { QuantizerOptions } from './options';

/** Options of {@link HyperbolicVectorQuantizer}. */
export interface HyperbolicQuantizerOptions extends QuantizerOptions {
  /** Curvature magnitude c of the Poincaré ball (curvature −c). @default 1 */
  curvature?: number;
}

/**
 * Hyperbolic vector quantizer (LLM-AR, DESIGN eq. 1): each feature f is mapped to exp₀(f), replaced by the code
 * c_u on the Poincaré ball with the smallest geodesic distance, and handed to the decoder as log₀(c_u) (straight
 * through). The codebook is stored on the ball; after a gradient step call {@link projectCodebook} to keep it inside.
 * k-means and EMA work in the tangent space at 0.
 */
export class HyperbolicVectorQuantizer extends BaseQuantizer {
  readonly kind = 'hyperbolic' as const;
  /** The ball the codes live on. */
  readonly ball: PoincareBall;

  constructor(options: HyperbolicQuantizerOptions) {
    super(options);
    this.ball = new PoincareBall({ c: options.curvature ?? 1 });
    this.initialize();
  }

  /** c. */
  get curvature(): number {
    return this.ball.c;
  }

  protected override curvatureOrUndefined(): number {
    return this.ball.c;
  }

  protected toTangent(codes: tf.Tensor2D): tf.Tensor2D {
    return this.ball.logmap0(codes);
  }

  protected fromTangent(t: tf.Tensor2D): tf.Tensor2D {
    return this.ball.project(this.ball.expmap0(t));
  }

  /** Geodesic distances d(exp₀(f), c_u) [N, U] (one matMul inside PoincareBall.pairwiseDist). */
  protected distanceMatrix(flat: tf.Tensor2D): tf.Tensor2D {
    return this.ball.pairwiseDist(this.ball.expmap0(flat), this.codes);
  }

  /** Project the stored codes back inside the ball (radius (1 − 4e-3)/√c), e.g. after an optimizer step. */
  projectCodebook(): void {
    this.alive();
    tf.tidy(() => {
      this.codes.assign(this.ball.project(this.codes));
    });
  }
}
