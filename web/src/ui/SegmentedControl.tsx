export interface Segment<T extends string> {
  value: T;
  label: string;
}

/**
 * A few mutually exclusive views side by side (Daily | Hourly): buttons that say which one is
 * pressed, under a visible label.
 */
export function SegmentedControl<T extends string>({
  label,
  value,
  segments,
  onChange,
}: {
  label: string;
  value: T;
  segments: readonly Segment<T>[];
  onChange: (value: T) => void;
}) {
  return (
    <fieldset className="field segmented-field">
      <legend className="field-label">{label}</legend>
      <div className="segmented">
        {segments.map((segment) => (
          <button
            key={segment.value}
            type="button"
            className="segmented-option"
            aria-pressed={segment.value === value}
            onClick={() => onChange(segment.value)}
          >
            {segment.label}
          </button>
        ))}
      </div>
    </fieldset>
  );
}
